//! One Access-Request, decided: the flows of a client (otp, challenge), the
//! first factor by proxy, and the engine's step in words a VPN user reads.
//! Which method runs, fallbacks and audit are the sign-in engine's.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use countersign_domain::admin::radius_clients::RadiusClient;
use countersign_domain::methods::push::PushContext;
use countersign_domain::model::radius::{Challenge, FirstFactor, Flow};
use countersign_domain::signin::{AnswerError, Attempt, Method, Step};
use countersign_domain::{DomainError, Reason, Source};
use countersign_radius::{attr, unhide_password, Attribute, Code, Packet};

use super::upstream::{self, FirstFactor as Upstream, Passed};
use super::Context;

/// What to do with a request: answer it, or drop it (the client then
/// retries or fails over to another server).
pub enum Decision {
    Answer(Code, Vec<Attribute>),
    Drop(&'static str),
}

fn reply(code: Code, message: impl Into<String>) -> Decision {
    Decision::Answer(
        code,
        vec![Attribute::new(
            attr::REPLY_MESSAGE,
            message.into().into_bytes(),
        )],
    )
}

pub async fn decide(
    ctx: &Context,
    client: &RadiusClient,
    request: &Packet,
    peer: SocketAddr,
) -> Decision {
    let Some(username) = request.text(attr::USER_NAME).filter(|u| !u.is_empty()) else {
        return reply(Code::AccessReject, "No user name was sent.");
    };
    let password = match request.attr(attr::USER_PASSWORD) {
        Some(hidden) => match unhide_password(hidden, &client.secret, &request.authenticator) {
            Ok(bytes) => bytes,
            Err(_) => return Decision::Drop("bad_password"),
        },
        None => Vec::new(),
    };
    let attempt = Attempt {
        username: username.clone(),
        context: PushContext {
            application: Some(format!("RADIUS: {}", client.name)),
            client_address: request.text(attr::CALLING_STATION_ID),
            // A VPN client cannot show a number before the push is answered.
            number_matching: Some(false),
        },
        source: Source {
            client: Some(format!("radius:{}", client.name)),
            address: Some(nas_address(request, peer)),
            rule: None,
        },
        rules: client.rules,
        network: user_network(request),
        ..Attempt::default()
    };
    let result = match (client.flow, request.attr(attr::STATE)) {
        (Flow::Otp, _) => {
            let attempt = Attempt {
                code: Some(text_of(&password)),
                ..attempt
            };
            match ctx.signin.start(&attempt).await {
                Ok(step) => {
                    let passed = (Passed::default(), &request.authenticator);
                    answer(ctx, client, &attempt, step, passed).await
                }
                Err(e) => Err(e),
            }
        }
        (Flow::Challenge, Some(state)) => {
            let answered = &request.authenticator;
            second_round(ctx, client, attempt, state, &password, answered).await
        }
        (Flow::Challenge, None) => first_round(ctx, client, request, attempt, &password).await,
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, client = %client.name, "a RADIUS request could not be decided");
        Decision::Drop("server_error")
    })
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// The person's address as the NAS reports it, for sign-in rules'
/// networks: `Calling-Station-Id` when it is an IP address (VPN
/// concentrators, RD Gateway), else `Framed-IP-Address` (the address
/// assigned, where the NAS sends it in the Access-Request). Wi-Fi
/// controllers send a MAC as Calling-Station-Id: no address. docs/policy.md.
fn user_network(request: &Packet) -> Option<IpAddr> {
    let calling = request.text(attr::CALLING_STATION_ID);
    if let Some(ip) = calling.and_then(|c| c.trim().parse::<IpAddr>().ok()) {
        return Some(ip);
    }
    match request.attr(attr::FRAMED_IP_ADDRESS) {
        Some([a, b, c, d]) => Some(IpAddr::from([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The address of the NAS: NAS-IP-Address when sent, else the packet's source.
fn nas_address(request: &Packet, peer: SocketAddr) -> String {
    match request.attr(attr::NAS_IP_ADDRESS) {
        Some([a, b, c, d]) => IpAddr::from([*a, *b, *c, *d]).to_string(),
        _ => peer.ip().to_string(),
    }
}

async fn first_round(
    ctx: &Context,
    client: &RadiusClient,
    request: &Packet,
    attempt: Attempt,
    password: &[u8],
) -> Result<Decision, DomainError> {
    let mut passed = Passed::default();
    if let (FirstFactor::Radius, Some(upstream)) = (client.first_factor, &client.upstream) {
        match upstream::check(upstream, request, password).await {
            Upstream::Accepted(attributes) => passed = attributes,
            Upstream::Rejected(why) => {
                tracing::info!(user = %attempt.username, client = %client.name, why = %why, "first factor rejected upstream");
                return Ok(rejection(ctx, Reason::PasswordIncorrect));
            }
            Upstream::Unreachable(why) => {
                tracing::warn!(client = %client.name, why = %why, "upstream RADIUS server unreachable");
                return Ok(Decision::Drop("upstream_unreachable"));
            }
        }
    }
    if client.first_factor == FirstFactor::Ldap {
        return ldap_first_round(ctx, client, request, attempt, password).await;
    }
    // Method words, where the password is not the first factor.
    let method = match client.first_factor {
        FirstFactor::None => match text_of(password).to_lowercase().as_str() {
            "push" => Some(Method::Push),
            "call" => Some(Method::Call),
            "code" => Some(Method::Otp),
            _ => None,
        },
        FirstFactor::Radius | FirstFactor::Ldap => None,
    };
    let attempt = Attempt { method, ..attempt };
    let step = ctx.signin.start(&attempt).await?;
    answer(
        ctx,
        client,
        &attempt,
        step,
        (passed, &request.authenticator),
    )
    .await
}

/// The password checked by binding as the user in the directory, decided
/// by the engine's first factor (a wrong one counts towards lockout and
/// sends no push); a right one starts the user's method.
async fn ldap_first_round(
    ctx: &Context,
    client: &RadiusClient,
    request: &Packet,
    attempt: Attempt,
    password: &[u8],
) -> Result<Decision, DomainError> {
    let Some(directory) = &ctx.directory else {
        tracing::error!(client = %client.name, "first_factor = ldap but no [directory] is configured");
        return Ok(Decision::Drop("no_directory"));
    };
    use countersign_directory::PasswordCheck;
    let text = String::from_utf8_lossy(password);
    let checked = ctx
        .pool
        .directory(directory.check_password(&attempt.username, &text))
        .await;
    // The directory lane is full: no answer, the NAS retries (counted, logged by the pool).
    let Ok(checked) = checked else {
        return Ok(Decision::Drop("busy"));
    };
    let (right, username) = match checked {
        Ok(PasswordCheck::Right { username, .. }) => (true, Some(username)),
        Ok(PasswordCheck::MustChange {
            dn,
            username,
            detail,
        }) => {
            tracing::warn!(user = %username, dn = %dn, detail = %detail, "directory password expired or must change");
            (false, Some(username))
        }
        Ok(PasswordCheck::Wrong { username }) => (false, username),
        Ok(PasswordCheck::Unknown) => (false, None),
        Err(e) => {
            tracing::warn!(client = %client.name, error = %e, "the directory cannot check passwords");
            return Ok(Decision::Drop("directory_unreachable"));
        }
    };
    // The user the directory found (a UPN typed on AD names its sAMAccountName user).
    let attempt = Attempt {
        username: username.unwrap_or(attempt.username),
        ..attempt
    };
    let step = ctx.signin.first_factor(&attempt, right).await?;
    answer(
        ctx,
        client,
        &attempt,
        step,
        (Passed::default(), &request.authenticator),
    )
    .await
}

/// On a client whose first factor is the directory, the name the NAS sends
/// again may be the one the person typed (a UPN) while the challenge is the
/// directory user's: the directory says whether they are the same user.
async fn directory_user(
    ctx: &Context,
    client: &RadiusClient,
    attempt: Attempt,
    challenge: Option<&Challenge>,
) -> Attempt {
    let (FirstFactor::Ldap, Some(directory), Some(challenge)) =
        (client.first_factor, &ctx.directory, challenge)
    else {
        return attempt;
    };
    if challenge.username.to_lowercase() == attempt.username.to_lowercase() {
        return attempt;
    }
    match directory.find_bind_user(&attempt.username).await {
        Ok(Some(user)) => Attempt {
            username: user.username,
            ..attempt
        },
        Ok(None) => attempt,
        Err(e) => {
            tracing::warn!(client = %client.name, error = %e, "the directory cannot say who the user is");
            attempt
        }
    }
}

/// Maps a step to the answer; a pending push is held while the phone is
/// answered, shorter than the client's timeout (`radius.hold_seconds`).
/// Retransmissions meanwhile hit the duplicate cache: one request, one push.
async fn answer(
    ctx: &Context,
    client: &RadiusClient,
    attempt: &Attempt,
    step: Step,
    // What the upstream passed, and the request this answers (MPPE keys).
    (passed, answered): (Passed, &[u8; 16]),
) -> Result<Decision, DomainError> {
    let step = match step {
        Step::Pending { transaction_id, .. } => {
            let hold = Duration::from_secs(ctx.hold_seconds);
            let decided = ctx
                .signin
                .wait(&transaction_id, hold, &client.rules)
                .await?;
            decided.unwrap_or(Step::rejected(Reason::PushTimeout))
        }
        step => step,
    };
    Ok(match step {
        Step::Accepted { reason, .. } => {
            let words = match reason {
                Some(Reason::NotEnrolled) => "Signed in without a second factor (not enrolled).",
                _ => "Second factor accepted.",
            };
            let mut attributes = vec![Attribute::new(
                attr::REPLY_MESSAGE,
                words.as_bytes().to_vec(),
            )];
            // MPPE keys encrypted for this client and the request answered.
            attributes.extend(passed.for_answer(&client.secret, answered));
            Decision::Answer(Code::AccessAccept, attributes)
        }
        Step::Rejected { reason } => rejection(ctx, reason),
        Step::Challenge {
            transaction_id,
            prompt,
            ..
        } => challenge(ctx, client, attempt, transaction_id, prompt, &passed).await?,
        // Still unanswered at the end of the hold.
        Step::Pending { .. } => rejection(ctx, Reason::PushTimeout),
    })
}

/// An Access-Challenge whose State the next round brings back.
async fn challenge(
    ctx: &Context,
    client: &RadiusClient,
    attempt: &Attempt,
    transaction_id: Option<String>,
    prompt: String,
    passed: &Passed,
) -> Result<Decision, DomainError> {
    let state = countersign_domain::model::ids::random_text(24);
    let challenge = Challenge {
        state: state.clone(),
        username: attempt.username.clone(),
        client: client.name.clone(),
        // MPPE keys sealed to this row (see passed.rs).
        attributes: passed.seal(&ctx.key, &state),
        expires_at: ctx.clock.now() + ctx.challenge_seconds,
        transaction_id,
    };
    ctx.store.insert_challenge(&challenge).await?;
    Ok(Decision::Answer(
        Code::AccessChallenge,
        vec![
            Attribute::new(attr::REPLY_MESSAGE, prompt.into_bytes()),
            Attribute::new(attr::STATE, state.into_bytes()),
        ],
    ))
}

/// An Access-Reject: the engine's words (by default the same for every
/// reason, so an unknown name answers like a wrong code).
fn rejection(ctx: &Context, reason: Reason) -> Decision {
    reply(
        Code::AccessReject,
        ctx.signin.refusal(reason).words_with_code(),
    )
}

async fn second_round(
    ctx: &Context,
    client: &RadiusClient,
    attempt: Attempt,
    state: &[u8],
    code: &[u8],
    answered: &[u8; 16],
) -> Result<Decision, DomainError> {
    let state = String::from_utf8_lossy(state);
    let challenge = ctx.store.take_challenge(&state, ctx.clock.now()).await?;
    let attempt = directory_user(ctx, client, attempt, challenge.as_ref()).await;
    let matches = |c: &Challenge| {
        c.client == client.name && c.username.to_lowercase() == attempt.username.to_lowercase()
    };
    let Some(challenge) = challenge.filter(matches) else {
        let step = ctx.signin.expired_challenge(&attempt).await?;
        return answer(ctx, client, &attempt, step, (Passed::default(), answered)).await;
    };
    let passed = Passed::open(&challenge.attributes, &ctx.key, &challenge.state);
    let code = text_of(code);
    let step = match &challenge.transaction_id {
        Some(id) => match ctx
            .signin
            .answer(&attempt.username, id, &code, &attempt.source)
            .await
        {
            Ok(step) => step,
            Err(AnswerError::NotFound) => ctx.signin.expired_challenge(&attempt).await?,
            Err(AnswerError::Domain(e)) => return Err(e),
        },
        None => {
            let attempt = Attempt {
                method: Some(Method::Otp),
                code: Some(code),
                ..attempt.clone()
            };
            ctx.signin.start(&attempt).await?
        }
    };
    answer(ctx, client, &attempt, step, (passed, answered)).await
}

//! One Access-Request, decided: the flows of a client (otp, challenge),
//! the first factor by proxy, and the answer in words a VPN user reads.

use std::net::{IpAddr, SocketAddr};

use countersign_domain::push::TxStatus;
use countersign_domain::push_service::{PushContext, PushStart};
use countersign_domain::radius::{Challenge, FirstFactor, Flow};
use countersign_domain::radius_clients::RadiusClient;
use countersign_domain::{DomainError, Entry, Outcome, Reason, Source, Verification};
use countersign_radius::{attr, unhide_password, Attribute, Code, Packet};

use super::upstream::{self, FirstFactor as Upstream};
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
    let source = Source {
        client: Some(format!("radius:{}", client.name)),
        address: Some(nas_address(request, peer)),
    };
    let result = match (client.flow, request.attr(attr::STATE)) {
        (Flow::Otp, _) => verify(ctx, &username, &password, source, Vec::new()).await,
        (Flow::Challenge, Some(state)) => {
            let answered = &request.authenticator;
            second_round(ctx, client, &username, state, &password, source, answered).await
        }
        (Flow::Challenge, None) => {
            first_round(ctx, client, request, &username, &password, source).await
        }
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, client = %client.name, "a RADIUS request could not be decided");
        Decision::Drop("server_error")
    })
}

/// The address of the NAS: NAS-IP-Address when sent, else the packet's source.
fn nas_address(request: &Packet, peer: SocketAddr) -> String {
    match request.attr(attr::NAS_IP_ADDRESS) {
        Some([a, b, c, d]) => IpAddr::from([*a, *b, *c, *d]).to_string(),
        _ => peer.ip().to_string(),
    }
}

async fn verify(
    ctx: &Context,
    username: &str,
    code: &[u8],
    source: Source,
    extra: Vec<Attribute>,
) -> Result<Decision, DomainError> {
    let request = Verification {
        username: username.to_string(),
        code: String::from_utf8_lossy(code).trim().to_string(),
        source,
    };
    Ok(match ctx.verifier.verify(&request).await? {
        Outcome::Accepted { .. } => {
            let mut attributes = vec![Attribute::new(
                attr::REPLY_MESSAGE,
                b"Second factor accepted.".to_vec(),
            )];
            attributes.extend(extra);
            Decision::Answer(Code::AccessAccept, attributes)
        }
        Outcome::Rejected { reason } => reply(
            Code::AccessReject,
            format!("{} ({})", reason.message(), reason.as_str()),
        ),
    })
}

async fn first_round(
    ctx: &Context,
    client: &RadiusClient,
    request: &Packet,
    username: &str,
    password: &[u8],
    source: Source,
) -> Result<Decision, DomainError> {
    let mut passed = upstream::Passed::default();
    if let (FirstFactor::Radius, Some(upstream)) = (client.first_factor, &client.upstream) {
        match upstream::check(upstream, request, password).await {
            Upstream::Accepted(attributes) => passed = attributes,
            Upstream::Rejected(why) => {
                tracing::info!(user = %username, client = %client.name, why = %why, "first factor rejected upstream");
                return Ok(reply(
                    Code::AccessReject,
                    format!("The password was not accepted ({why})."),
                ));
            }
            Upstream::Unreachable(why) => {
                tracing::warn!(client = %client.name, why = %why, "upstream RADIUS server unreachable");
                return Ok(Decision::Drop("upstream_unreachable"));
            }
        }
    }
    let Some(user) = ctx.store.user_by_name(username).await? else {
        // Let the Verifier audit and word it like every other door.
        return verify(ctx, username, b"", source, Vec::new()).await;
    };
    // Method words, where the password is not the first factor.
    let word = String::from_utf8_lossy(password).trim().to_lowercase();
    let words_apply = client.first_factor == FirstFactor::None;
    let has_device = !ctx.store.devices_of_user(&user.id).await?.is_empty();
    if words_apply && word == "push" || has_device && !(words_apply && word == "code") {
        return hold_for_push(ctx, client, request, username, source, passed).await;
    }
    let state = countersign_domain::ids::random_text(24);
    let challenge = Challenge {
        state: state.clone(),
        username: username.to_string(),
        client: client.name.clone(),
        // MPPE keys sealed to this row (see passed.rs).
        attributes: passed.seal(&ctx.key, &state),
        expires_at: ctx.clock.now() + ctx.challenge_seconds,
    };
    ctx.store.insert_challenge(&challenge).await?;
    Ok(Decision::Answer(
        Code::AccessChallenge,
        vec![
            Attribute::new(
                attr::REPLY_MESSAGE,
                b"Enter the code from your authenticator app.".to_vec(),
            ),
            Attribute::new(attr::STATE, state.into_bytes()),
        ],
    ))
}

/// Holds the request while a push is answered, and answers before the
/// client gives up (`radius.hold_seconds`). Retransmissions meanwhile hit
/// the duplicate cache, so one request makes one push.
async fn hold_for_push(
    ctx: &Context,
    client: &RadiusClient,
    request: &Packet,
    username: &str,
    source: Source,
    passed: upstream::Passed,
) -> Result<Decision, DomainError> {
    let context = PushContext {
        application: Some(format!("RADIUS: {}", client.name)),
        client_address: request.text(attr::CALLING_STATION_ID),
        // A VPN client cannot show a number before the push is answered.
        number_matching: Some(false),
    };
    let transaction_id = match ctx.push.start(username, context, &source).await? {
        PushStart::Rejected(reason) => return Ok(rejection(reason)),
        PushStart::Pending { transaction_id, .. } => transaction_id,
    };
    let decided = ctx
        .hub
        .wait_for_decision(&ctx.push, &transaction_id, ctx.hold_seconds)
        .await?;
    Ok(match decided {
        Some(t) if t.status == TxStatus::Accepted => {
            let mut attributes = vec![Attribute::new(
                attr::REPLY_MESSAGE,
                b"Sign-in approved.".to_vec(),
            )];
            attributes.extend(passed.for_answer(&client.secret, &request.authenticator));
            Decision::Answer(Code::AccessAccept, attributes)
        }
        Some(t) if t.status == TxStatus::Rejected => {
            let reason = t
                .reason
                .as_deref()
                .and_then(Reason::parse)
                .unwrap_or(Reason::PushDenied);
            rejection(reason)
        }
        _ => reply(
            Code::AccessReject,
            "The sign-in request on your phone was not answered in time. Try again. (push_timeout)",
        ),
    })
}

fn rejection(reason: Reason) -> Decision {
    reply(
        Code::AccessReject,
        format!("{} ({})", reason.message(), reason.as_str()),
    )
}

async fn second_round(
    ctx: &Context,
    client: &RadiusClient,
    username: &str,
    state: &[u8],
    code: &[u8],
    source: Source,
    answered: &[u8; 16],
) -> Result<Decision, DomainError> {
    let state = String::from_utf8_lossy(state);
    let challenge = ctx.store.take_challenge(&state, ctx.clock.now()).await?;
    match challenge {
        Some(c)
            if c.client == client.name && c.username.to_lowercase() == username.to_lowercase() =>
        {
            verify(
                ctx,
                username,
                code,
                source,
                upstream::Passed::open(&c.attributes, &ctx.key, &c.state)
                    .for_answer(&client.secret, answered),
            )
            .await
        }
        _ => {
            let user = ctx.store.user_by_name(username).await?;
            let entry = Entry {
                username,
                user: user.as_ref(),
                method: "otp",
                token_id: None,
                source: &source,
            };
            ctx.verifier
                .record(
                    entry,
                    Some(Reason::ChallengeExpired),
                    std::time::Instant::now(),
                )
                .await?;
            Ok(rejection(Reason::ChallengeExpired))
        }
    }
}

//! The SIP user agent: one rsipstack endpoint (UDP) shared by every call,
//! the loop that hands in-dialog requests (BYE, INFO) to their dialogs, and
//! the optional registration kept fresh in the background.

use crate::config::{SipConfig, SipTransport};
use crate::dial::DialPlan;
use crate::error::VoiceError;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::registration::Registration;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::endpoint::EndpointOption;
use rsipstack::transaction::{CallIdFormat, Endpoint, EndpointBuilder, TransactionReceiver};
use rsipstack::transport::tls::TlsConfig;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Where the registration stands (always `NotConfigured` without a registrar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    NotConfigured,
    Pending,
    Registered { expires: u32 },
    Failed { reason: String },
}

/// The parts of the user agent every call uses.
pub(crate) struct Agent {
    pub config: SipConfig,
    pub dial: DialPlan,
    pub dialog_layer: Arc<DialogLayer>,
    /// The address put in Contact and SDP.
    pub advertised: SocketAddr,
    /// The address RTP sockets bind to.
    pub media_ip: IpAddr,
    pub registration: watch::Receiver<RegistrationState>,
    pub cancel: CancellationToken,
    pub endpoint: Endpoint,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Agent {
    pub async fn start(config: SipConfig) -> Result<Agent, VoiceError> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(VoiceError::Config(problems));
        }
        let dial = DialPlan::new(&config.dial_rewrite)?;
        let bind_error = |e: &dyn std::fmt::Display| VoiceError::Bind {
            addr: config.bind.to_string(),
            reason: e.to_string(),
        };
        let socket = tokio::net::UdpSocket::bind(config.bind)
            .await
            .map_err(|e| bind_error(&e))?;
        let port = socket.local_addr().map_err(|e| bind_error(&e))?.port();
        let ip = advertised_ip(&config).await;
        let advertised = SocketAddr::new(ip, port);
        let cancel = CancellationToken::new();
        let tcp = (config.transport == SipTransport::Tcp).then_some(config.bind.ip());
        let roots = match config.transport {
            SipTransport::Tls => Some(crate::tls::roots_pem(&config)?),
            _ => None,
        };
        let endpoint = endpoint(socket, advertised, Streams { tcp, roots }, &cancel)
            .await
            .map_err(|e| bind_error(&e))?;
        let dialog_layer = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| VoiceError::Sip(e.to_string()))?;
        tokio::spawn(dispatch(
            incoming,
            dialog_layer.clone(),
            cancel.child_token(),
        ));
        let registration = start_registration(&config, &endpoint, cancel.child_token());
        info!(%advertised, trunk = %config.trunk, "SIP user agent started");
        Ok(Agent {
            media_ip: config.bind.ip(),
            config,
            dial,
            dialog_layer,
            advertised,
            registration,
            cancel,
            endpoint,
        })
    }
}

/// The stream transports besides UDP: a TCP listener's address, TLS's roots (PEM).
struct Streams {
    tcp: Option<IpAddr>,
    roots: Option<Vec<u8>>,
}

/// The rsipstack endpoint on `socket`, serving in the background.
async fn endpoint(
    socket: tokio::net::UdpSocket,
    advertised: SocketAddr,
    streams: Streams,
    cancel: &CancellationToken,
) -> rsipstack::Result<Endpoint> {
    let port = advertised.port();
    let udp = UdpConnection::from_socket(
        Arc::new(socket),
        Some(advertised),
        Some(cancel.child_token()),
    )
    .await?;
    let transport = TransportLayer::new(cancel.child_token());
    transport.add_transport(udp.into());
    if let Some(roots) = streams.roots {
        // Client side only: rsipstack dials the trunk with these roots and
        // the host name of the address dialled as SNI.
        transport.set_tls_config(TlsConfig {
            ca_certs: Some(roots),
            ..TlsConfig::default()
        });
    }
    if let Some(ip) = streams.tcp {
        // Listens on the UDP port's number: Via and Contact name it for requests back to us.
        let listener =
            TcpListenerConnection::new(SocketAddr::new(ip, port), Some(advertised)).await?;
        transport.add_transport(listener.into());
    }
    let endpoint = EndpointBuilder::new()
        .with_user_agent(concat!("Countersign/", env!("CARGO_PKG_VERSION")))
        .with_transport_layer(transport)
        .with_cancel_token(cancel.child_token())
        .with_option(EndpointOption {
            // A bare UUID: the default appends rsipstack's own domain.
            callid_format: CallIdFormat::Uuid,
            ..EndpointOption::default()
        })
        .build();
    let serving = endpoint.inner.clone();
    tokio::spawn(async move {
        if let Err(e) = serving.serve().await {
            warn!(error = %e, "SIP endpoint stopped");
        }
    });
    Ok(endpoint)
}

/// The IP to advertise: the configured public one, the bound one, or (for
/// an unspecified bind) the local end of the route to the trunk.
async fn advertised_ip(config: &SipConfig) -> IpAddr {
    if let Some(ip) = config.public_address {
        return ip;
    }
    if !config.bind.ip().is_unspecified() {
        return config.bind.ip();
    }
    let route = async {
        let trunk = tokio::net::lookup_host(&config.trunk).await.ok()?.next()?;
        let probe = std::net::UdpSocket::bind(SocketAddr::new(config.bind.ip(), 0)).ok()?;
        probe.connect(trunk).ok()?;
        probe.local_addr().ok().map(|a| a.ip())
    };
    match tokio::time::timeout(Duration::from_secs(5), route).await {
        Ok(Some(ip)) => ip,
        _ => {
            warn!(trunk = %config.trunk, "no local address towards the trunk found; advertising 127.0.0.1: set voice.sip.public_address or bind to an address");
            IpAddr::from([127, 0, 0, 1])
        }
    }
}

/// Hands each incoming request to its dialog; answers OPTIONS (the trunk's
/// keep-alive) and refuses what belongs to no call.
async fn dispatch(
    mut incoming: TransactionReceiver,
    layer: Arc<DialogLayer>,
    cancel: CancellationToken,
) {
    loop {
        let mut tx = tokio::select! {
            tx = incoming.recv() => match tx { Some(tx) => tx, None => return },
            _ = cancel.cancelled() => return,
        };
        let method = tx.original.method;
        if let Some(mut dialog) = layer.match_dialog(&tx) {
            tokio::spawn(async move {
                if let Err(e) = dialog.handle(&mut tx).await {
                    debug!(%method, error = %e, "in-dialog request failed");
                }
            });
            continue;
        }
        let status = match method {
            Method::Options => StatusCode::OK,
            Method::Invite => StatusCode::Decline,
            Method::Ack => continue,
            _ => StatusCode::CallTransactionDoesNotExist,
        };
        tokio::spawn(async move {
            if let Err(e) = tx.reply(status).await {
                debug!(%method, error = %e, "reply to a stray request failed");
            }
        });
    }
}

fn start_registration(
    config: &SipConfig,
    endpoint: &Endpoint,
    cancel: CancellationToken,
) -> watch::Receiver<RegistrationState> {
    let (tx, rx) = watch::channel(RegistrationState::NotConfigured);
    let (Some(_), Some(username), Some(password)) = (
        config.registrar.clone(),
        config.username.clone(),
        config.password.clone(),
    ) else {
        return rx;
    };
    let _ = tx.send(RegistrationState::Pending);
    let credential = Credential {
        username,
        password,
        realm: None,
        auth_username: None,
    };
    let registration = Registration::new(endpoint.inner.clone(), Some(credential));
    tokio::spawn(keep_registered(
        registration,
        endpoint.inner.clone(),
        config.clone(),
        tx,
        cancel,
    ));
    rx
}

/// REGISTERs, then again at half the granted time; after a failure, every 30 s.
async fn keep_registered(
    mut registration: Registration,
    endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    config: SipConfig,
    state: watch::Sender<RegistrationState>,
    cancel: CancellationToken,
) {
    let registrar = config.registrar.clone().unwrap_or_default();
    let expires = config.register_expires.max(60);
    let transport = match config.transport {
        SipTransport::Udp => "",
        SipTransport::Tcp => ";transport=tcp",
        SipTransport::Tls => ";transport=tls",
    };
    let uri = match format!("sip:{registrar}{transport}").parse::<rsipstack::sip::Uri>() {
        Ok(uri) => uri,
        Err(e) => {
            let reason = format!("voice.sip.registrar {registrar:?} is not host:port: {e}");
            let _ = state.send(RegistrationState::Failed { reason });
            return;
        }
    };
    loop {
        let ready = crate::tls::connect(&endpoint, &config, &registrar).await;
        let result = match ready {
            Ok(()) => registration
                .register(uri.clone(), Some(expires))
                .await
                .map_err(|e| crate::tls::explain(&config, &registrar, &e.to_string())),
            Err(reason) => Err(reason),
        };
        let wait = match result {
            Ok(resp) if resp.status_code == StatusCode::OK => {
                let granted = registration.expires().clamp(60, expires.max(60));
                let _ = state.send(RegistrationState::Registered { expires: granted });
                Duration::from_secs(u64::from(granted) / 2)
            }
            Ok(resp) => {
                let reason = format!("the registrar answered {}", resp.status_code);
                let _ = state.send(RegistrationState::Failed { reason });
                Duration::from_secs(30)
            }
            Err(reason) => {
                let _ = state.send(RegistrationState::Failed { reason });
                Duration::from_secs(30)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return,
        }
    }
}

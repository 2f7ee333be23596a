//! Following the sign-in requests of a device: the event stream while it
//! can be held open (reconnecting with backoff), the pending list after
//! each connect (to catch requests made while disconnected), and polling
//! every 2 s while the stream cannot be opened. Each request is handed out
//! once.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use crate::api::{ClientError, Device, EventStream, SignInRequest};

/// How often the pending list is polled without a stream.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// How long to poll before trying the stream again.
const POLL_SPELL: Duration = Duration::from_secs(30);
/// Keep-alives come every 15 s; silence for longer than this is a dead stream.
const IDLE_LIMIT: Duration = Duration::from_secs(45);
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What the watcher hands out.
#[derive(Debug)]
pub enum WatchEvent {
    /// A sign-in request, seen for the first time.
    Request(SignInRequest),
    /// A note about the connection, for the user.
    Notice(String),
}

enum Mode {
    Connect { at: Instant },
    Streaming(Box<EventStream>),
    Polling { next: Instant, until: Instant },
}

/// The watch loop, pulled one event at a time.
pub struct Watcher<'a> {
    device: &'a Device,
    seen: HashSet<String>,
    queue: VecDeque<WatchEvent>,
    mode: Mode,
    backoff: Duration,
}

impl<'a> Watcher<'a> {
    pub fn new(device: &'a Device) -> Watcher<'a> {
        Watcher {
            device,
            seen: HashSet::new(),
            queue: VecDeque::new(),
            mode: Mode::Connect { at: Instant::now() },
            backoff: BACKOFF_FIRST,
        }
    }

    /// The next request or notice; an error only when retrying cannot help.
    pub async fn next(&mut self) -> Result<WatchEvent, ClientError> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Ok(event);
            }
            let mode = std::mem::replace(&mut self.mode, Mode::Connect { at: Instant::now() });
            self.mode = match mode {
                Mode::Connect { at } => self.connect(at).await?,
                Mode::Streaming(stream) => self.read(stream).await?,
                Mode::Polling { next, until } => self.poll(next, until).await?,
            };
        }
    }

    async fn connect(&mut self, at: Instant) -> Result<Mode, ClientError> {
        sleep_until(at).await;
        match self.device.events().await {
            Ok(stream) => {
                self.backoff = BACKOFF_FIRST;
                self.catch_up().await?;
                Ok(Mode::Streaming(Box::new(stream)))
            }
            Err(e) if e.is_permanent() => Err(e),
            Err(e) if e.is_http_status() || matches!(e, ClientError::Decode { .. }) => {
                self.notice(format!(
                    "the event stream cannot be opened ({e}); polling every {} s",
                    POLL_EVERY.as_secs()
                ));
                let now = Instant::now();
                Ok(Mode::Polling {
                    next: now,
                    until: now + POLL_SPELL,
                })
            }
            Err(e) => Ok(self.retry_later(&e.to_string())),
        }
    }

    async fn read(&mut self, mut stream: Box<EventStream>) -> Result<Mode, ClientError> {
        match stream.next(IDLE_LIMIT).await {
            Ok(Some(event)) if event.event == "request" => {
                match serde_json::from_str::<SignInRequest>(&event.data) {
                    Ok(request) => self.offer(request),
                    Err(e) => self.notice(format!(
                        "ignored a request event the authenticator cannot read ({e})"
                    )),
                }
                Ok(Mode::Streaming(stream))
            }
            Ok(Some(_other)) => Ok(Mode::Streaming(stream)),
            Ok(None) => {
                self.notice("the server closed the event stream; reconnecting".to_owned());
                Ok(Mode::Connect {
                    at: Instant::now() + BACKOFF_FIRST,
                })
            }
            Err(e) if e.is_permanent() => Err(e),
            Err(e) => Ok(self.retry_later(&format!("the event stream was interrupted ({e})"))),
        }
    }

    async fn poll(&mut self, next: Instant, until: Instant) -> Result<Mode, ClientError> {
        sleep_until(next).await;
        match self.device.pending().await {
            Ok(requests) => requests.into_iter().for_each(|r| self.offer(r)),
            Err(e) if e.is_permanent() => return Err(e),
            Err(e) => return Ok(self.retry_later(&e.to_string())),
        }
        let now = Instant::now();
        if now >= until {
            return Ok(Mode::Connect { at: now });
        }
        Ok(Mode::Polling {
            next: now + POLL_EVERY,
            until,
        })
    }

    /// The pending list, so requests made before the stream opened are not missed.
    async fn catch_up(&mut self) -> Result<(), ClientError> {
        match self.device.pending().await {
            Ok(requests) => requests.into_iter().for_each(|r| self.offer(r)),
            Err(e) if e.is_permanent() => return Err(e),
            Err(e) => self.notice(format!("could not list pending requests ({e})")),
        }
        Ok(())
    }

    fn retry_later(&mut self, why: &str) -> Mode {
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        self.notice(format!("{why}; retrying in {} s", wait.as_secs()));
        Mode::Connect {
            at: Instant::now() + wait,
        }
    }

    fn offer(&mut self, request: SignInRequest) {
        if self.seen.insert(request.id.clone()) {
            self.queue.push_back(WatchEvent::Request(request));
        }
    }

    fn notice(&mut self, text: String) {
        self.queue.push_back(WatchEvent::Notice(text));
    }
}

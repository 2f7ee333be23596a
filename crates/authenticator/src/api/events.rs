//! An open `GET /device/v1/events` stream, read event by event.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::Response;
use url::Url;

use super::error::ClientError;
use super::http::Http;
use crate::sse::{SseEvent, SseParser};

/// An event stream being read.
pub struct EventStream {
    response: Response,
    http: Http,
    url: Url,
    parser: SseParser,
    ready: VecDeque<SseEvent>,
}

impl EventStream {
    pub(crate) fn new(response: Response, http: Http, url: Url) -> EventStream {
        EventStream {
            response,
            http,
            url,
            parser: SseParser::default(),
            ready: VecDeque::new(),
        }
    }

    /// The next event; None when the server ends the stream; an error when
    /// the connection fails or nothing (not even a keep-alive) arrives
    /// within `idle`.
    pub async fn next(&mut self, idle: Duration) -> Result<Option<SseEvent>, ClientError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let chunk = tokio::time::timeout(idle, self.response.chunk())
                .await
                .map_err(|_| ClientError::Timeout {
                    url: self.url.to_string(),
                })?
                .map_err(|e| self.http.transport_error(&e, &self.url))?;
            match chunk {
                Some(bytes) => self.ready.extend(self.parser.push(&bytes)),
                None => return Ok(None),
            }
        }
    }
}

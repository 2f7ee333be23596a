//! The calls an authenticator makes: the unsigned activation, then signed
//! requests for pending sign-ins, answers and the event stream.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;
use serde::Serialize;
use url::Url;

use super::error::ClientError;
use super::events::EventStream;
use super::http::{error_from, json, Http, CALL_TIMEOUT};
use crate::signing::{DeviceKey, RequestToSign};
use crate::timefmt::unix_now;
use countersign_device_proto::{
    ActivateBody, Activated, AnswerBody, AnswerResult, PendingList, SignInRequest,
};

/// `POST /device/v1/activate` (no signature: the code is the credential).
pub async fn activate(http: &Http, body: &ActivateBody) -> Result<Activated, ClientError> {
    let url = http.url("device/v1/activate")?;
    let request = http
        .client
        .post(url.clone())
        .timeout(CALL_TIMEOUT)
        .json(body);
    let response = http.send(request, &url).await?;
    json(response, &url).await
}

/// An activated device talking to its server.
pub struct Device {
    http: Http,
    id: String,
    key: DeviceKey,
}

impl Device {
    pub fn new(http: Http, id: String, key: DeviceKey) -> Device {
        Device { http, id, key }
    }

    /// The device id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `GET /device/v1/requests`: the pending sign-in requests.
    pub async fn pending(&self) -> Result<Vec<SignInRequest>, ClientError> {
        let url = self.http.url("device/v1/requests")?;
        let response = self.signed::<()>(Method::GET, &url, None, true).await?;
        let list: PendingList = json(response, &url).await?;
        Ok(list.requests)
    }

    /// `POST /device/v1/requests/{id}/answer`.
    pub async fn answer(
        &self,
        request_id: &str,
        body: &AnswerBody,
    ) -> Result<AnswerResult, ClientError> {
        let mut url = self.http.url("device/v1/requests/")?;
        url.path_segments_mut()
            .map_err(|_| ClientError::Setup("the server URL cannot have a path".into()))?
            .pop_if_empty()
            .push(request_id)
            .push("answer");
        let response = self.signed(Method::POST, &url, Some(body), true).await?;
        json(response, &url).await
    }

    /// `GET /device/v1/events`, opened: an error when the server does not
    /// answer with an event stream.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        let url = self.http.url("device/v1/events")?;
        let response = self.signed::<()>(Method::GET, &url, None, false).await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(error_from(status, &body, &url));
        }
        let is_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            return Err(ClientError::Decode {
                url: url.to_string(),
                reason: "the answer is not a text/event-stream".into(),
            });
        }
        Ok(EventStream::new(response, self.http.clone(), url))
    }

    /// Sends a signed request; `limited` sets the ordinary call timeout.
    async fn signed<B: Serialize>(
        &self,
        method: Method,
        url: &Url,
        body: Option<&B>,
        limited: bool,
    ) -> Result<reqwest::Response, ClientError> {
        let bytes = match body {
            Some(body) => {
                serde_json::to_vec(body).map_err(|e| ClientError::Setup(e.to_string()))?
            }
            None => Vec::new(),
        };
        let path_and_query = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let headers = self.key.sign_request(
            &self.id,
            &RequestToSign {
                method: method.as_str(),
                path_and_query: &path_and_query,
                timestamp: unix_now(),
                body: &bytes,
            },
        )?;
        let mut request = self.http.client.request(method, url.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json").body(bytes);
        } else {
            request = request.header(ACCEPT, "application/json, text/event-stream");
        }
        if limited {
            request = request.timeout(CALL_TIMEOUT);
        }
        self.http.send(request, url).await
    }
}

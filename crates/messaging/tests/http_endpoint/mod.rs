//! A tiny HTTP server standing in for an SMS gateway: it records every
//! request and answers with a status and body the test chooses.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Shared<T> = Arc<Mutex<T>>;

pub struct HttpEndpoint {
    pub port: u16,
    requests: Shared<Vec<Recorded>>,
    reply: Shared<(u16, String)>,
    task: JoinHandle<()>,
}

impl HttpEndpoint {
    pub async fn start(status: u16, body: &str) -> HttpEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests: Shared<Vec<Recorded>> = Arc::default();
        let reply = Arc::new(Mutex::new((status, body.to_owned())));
        let (r, a) = (requests.clone(), reply.clone());
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, r.clone(), a.clone()));
            }
        });
        HttpEndpoint {
            port,
            requests,
            reply,
            task,
        }
    }

    pub fn answer(&self, status: u16, body: &str) {
        *self.reply.lock().unwrap() = (status, body.to_owned());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(socket: TcpStream, requests: Shared<Vec<Recorded>>, reply: Shared<(u16, String)>) {
    let mut reader = BufReader::new(socket);
    let Some(request) = read_request(&mut reader).await else {
        return;
    };
    requests.lock().unwrap().push(request);
    let (status, body) = reply.lock().unwrap().clone();
    let answer = format!(
        "HTTP/1.1 {status} Test\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = reader.get_mut().write_all(answer.as_bytes()).await;
    let _ = reader.get_mut().shutdown().await;
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

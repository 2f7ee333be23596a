//! Hearing the other nodes' push events (PostgreSQL `LISTEN` on
//! [`CHANNEL`]): every notification, and when the listening starts and
//! stops. Notifications sent while a node is not listening never reach it,
//! so the node is told ([`Heard::Interrupted`]), and told again when it
//! listens ([`Heard::Listening`]) to catch up on what it missed.

use std::time::Duration;

use tokio::sync::mpsc::Sender;

use crate::push::CHANNEL;

/// How long to wait before listening again after the connection dropped.
const RETRY: Duration = Duration::from_secs(1);

/// What the listener reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Listening (again): from now on every notification arrives.
    Listening,
    /// The connection dropped: notifications may be lost until [`Heard::Listening`].
    Interrupted,
    /// A notification's payload.
    Notification(String),
}

/// Listens on PostgreSQL at `url` and reports to `sink`, reconnecting when
/// the connection drops; stops when `sink` is closed (the server stops).
pub fn spawn(url: String, sink: Sender<Heard>) {
    tokio::spawn(async move {
        loop {
            match listen_once(&url, &sink).await {
                Ok(()) => return,
                Err(e) => {
                    if sink.send(Heard::Interrupted).await.is_err() {
                        return;
                    }
                    tracing::warn!(error = %e, "push notifications from other nodes interrupted; reconnecting (this node is not ready meanwhile)");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    });
}

/// Listens until the connection drops (an error) or `sink` closes (Ok).
async fn listen_once(url: &str, sink: &Sender<Heard>) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    if sink.send(Heard::Listening).await.is_err() {
        return Ok(());
    }
    loop {
        // try_recv, not recv: recv reconnects by itself and hides the gap.
        let Some(notification) = listener.try_recv().await? else {
            return Err(sqlx::Error::Protocol(
                "the connection to PostgreSQL dropped".into(),
            ));
        };
        let payload = notification.payload().to_string();
        if sink.send(Heard::Notification(payload)).await.is_err() {
            return Ok(());
        }
    }
}

use crate::model::messages::MessageContent;
use crate::model::messages::MessageKind;
use crate::model::messages::SendFailure;
use async_trait::async_trait;

/// Sends one message through SMTP or an SMS gateway.
#[async_trait]
pub trait Messenger: Send + Sync {
    async fn send(
        &self,
        kind: MessageKind,
        recipient: &str,
        content: &MessageContent,
    ) -> Result<(), SendFailure>;
}

/// Renders the operator-editable templates.
pub trait Composer: Send + Sync {
    fn render(
        &self,
        template: &str,
        language: Option<&str>,
        context: &serde_json::Value,
    ) -> Result<String, String>;
}

use crate::model::decision::DecisionResult;
use crate::model::decision::DecisionWrite;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Commits decisions. Adapters apply a [`DecisionWrite`] atomically: either
/// all of the effects that hold are stored, or none and an error.
#[async_trait]
pub trait DecisionStore: Send + Sync {
    async fn commit_decision(&self, write: DecisionWrite) -> StoreResult<DecisionResult>;
}

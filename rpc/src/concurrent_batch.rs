//! Runs the calls of a JSON-RPC batch concurrently.
//!
//! jsonrpsee's default batch handling awaits each call before starting the next. A batch of
//! `eth_sendRawTransaction` calls would then wait for one journal fsync per transaction;
//! run together, the whole batch shares one group commit. Responses keep request order, and
//! every call still does its validation and mempool admission in request order, because
//! `join_all` polls the calls in order and admission happens before a call first waits.

use std::future::Future;

use jsonrpsee::core::middleware::{Batch, BatchEntry, Notification, RpcServiceT};
use jsonrpsee::core::server::{BatchResponseBuilder, MethodResponse};
use jsonrpsee::types::Request;

/// RPC middleware that replaces sequential batch processing with concurrent processing.
#[derive(Clone, Debug)]
pub struct ConcurrentBatch<S> {
    inner: S,
    max_response_bytes: usize,
}

impl<S> ConcurrentBatch<S> {
    /// Wraps `inner`; batch responses are limited to `max_response_bytes` like jsonrpsee's.
    pub fn new(inner: S, max_response_bytes: usize) -> Self {
        Self {
            inner,
            max_response_bytes,
        }
    }
}

impl<S> RpcServiceT for ConcurrentBatch<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.call(request)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.notification(n)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let inner = self.inner.clone();
        let limit = self.max_response_bytes;
        async move {
            let calls = batch.into_iter().map(|entry| {
                let inner = inner.clone();
                async move {
                    match entry {
                        Ok(BatchEntry::Call(req)) => Some(inner.call(req).await),
                        Ok(BatchEntry::Notification(n)) => {
                            inner.notification(n).await;
                            None
                        }
                        Err(err) => {
                            let (err, id) = err.into_parts();
                            Some(MethodResponse::error(id, err))
                        }
                    }
                }
            });
            let responses = futures::future::join_all(calls).await;
            let mut got_notification = false;
            let mut builder = BatchResponseBuilder::new_with_limit(limit);
            for response in responses {
                match response {
                    Some(rp) => {
                        if let Err(too_big) = builder.append(rp) {
                            return too_big;
                        }
                    }
                    None => got_notification = true,
                }
            }
            if builder.is_empty() && got_notification {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(builder.finish())
            }
        }
    }
}

//! The transaction journal writer: acknowledged transactions reach the disk before the RPC
//! answers, with one fsync shared by every request that arrived meanwhile (group commit).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;

use alloy_primitives::Bytes;
use parking_lot::Mutex;
use rocksdb::WriteBatch;
use tokio::sync::oneshot;

use super::keys::CF_JOURNAL;
use super::Store;

/// One request to the journal.
pub struct JournalOp {
    /// Entries to add: `(sequence number, signed transaction)`.
    pub put: Option<(u64, Bytes)>,
    /// Entries to remove (displaced or dropped transactions).
    pub delete: Vec<u64>,
    /// Told once the write is durable (or failed).
    pub done: Option<oneshot::Sender<Result<(), String>>>,
}

/// Handle to the journal thread.
#[derive(Debug)]
pub struct JournalWriter {
    tx: Mutex<Option<Sender<JournalOp>>>,
    thread: Mutex<Option<thread::JoinHandle<()>>>,
}

impl JournalWriter {
    /// Starts the writer thread.
    pub fn spawn(store: Arc<Store>) -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("journal".into())
            .spawn(move || run(store, rx))
            .expect("spawning the journal thread");
        Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Queues `op`; false if the writer has stopped.
    pub fn submit(&self, op: JournalOp) -> bool {
        self.tx
            .lock()
            .as_ref()
            .is_some_and(|tx| tx.send(op).is_ok())
    }

    /// Writes what is queued, then stops the thread (releasing its hold on the store).
    pub fn stop(&self) {
        drop(self.tx.lock().take());
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

fn run(store: Arc<Store>, rx: Receiver<JournalOp>) {
    while let Ok(first) = rx.recv() {
        let mut ops = vec![first];
        while let Ok(op) = rx.try_recv() {
            ops.push(op);
            if ops.len() >= 4096 {
                break;
            }
        }
        let mut batch = WriteBatch::default();
        let cf = store.cf(CF_JOURNAL);
        for op in &ops {
            if let Some((seq, raw)) = &op.put {
                batch.put_cf(cf, seq.to_be_bytes(), raw);
            }
            for seq in &op.delete {
                batch.delete_cf(cf, seq.to_be_bytes());
            }
        }
        let result = store
            .write(batch, true, "journal")
            .map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, "journal write failed");
        }
        for op in ops {
            if let Some(done) = op.done {
                let _ = done.send(result.clone());
            }
        }
    }
}

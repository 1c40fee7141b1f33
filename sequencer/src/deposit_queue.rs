//! Where the sequencer reads L1 deposits from: a small provider trait, implemented by the
//! node over the L1 watcher's store, so that the sequencer credits deposits without
//! depending on how (or by which crate) L1 is followed.

use quire_primitives::Deposit;

/// The confirmed deposits of the Bridge's queue, in queue order.
pub trait DepositQueue: Send + Sync {
    /// Deposits confirmed so far: the queue index after the newest.
    fn confirmed(&self) -> Result<u64, String>;

    /// Up to `max` confirmed deposits from queue index `from`, in order.
    fn deposits_from(&self, from: u64, max: usize) -> Result<Vec<Deposit>, String>;
}

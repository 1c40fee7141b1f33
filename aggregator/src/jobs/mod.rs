//! Aggregation as jobs: windows of batches, their steps, and the pool that hands the steps
//! to workers and checks what comes back.

pub mod plan;
pub mod pool;
pub mod records;

pub use plan::{Step, Window, WindowRule};
pub use pool::{
    final_proof, is_aggregated, latest_final_proof, run_step, window_of, AggregationConfig,
    AggregationPool, StepJob, StepOutput, StepResult,
};
pub use records::FinalProofFile;

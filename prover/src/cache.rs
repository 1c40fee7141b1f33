//! Built circuits, kept in memory and on disk so that a restart does not rebuild them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use parking_lot::Mutex;

use crate::circuit::{BatchCircuit, BatchShape};

/// Version of the batch circuit, recorded in proof files. Cached circuits are also keyed
/// by [`circuit_fingerprint`], so a changed circuit never loads a stale cache file even if
/// this is not bumped.
pub const CIRCUIT_VERSION: u32 = 2;

/// The source code that defines the batch circuit.
const CIRCUIT_SOURCES: [&str; 7] = [
    include_str!("circuit/u96.rs"),
    include_str!("circuit/address.rs"),
    include_str!("circuit/merkle.rs"),
    include_str!("circuit/slot.rs"),
    include_str!("circuit/targets.rs"),
    include_str!("circuit/batch.rs"),
    include_str!("public_inputs.rs"),
];

/// A short hash of the circuit's source: part of every cache file's name.
pub fn circuit_fingerprint() -> String {
    let mut all = Vec::new();
    for src in CIRCUIT_SOURCES {
        all.extend_from_slice(src.as_bytes());
    }
    hex::encode(&alloy_primitives::keccak256(&all)[..6])
}

/// Circuits by shape.
pub struct CircuitCache {
    dir: Option<PathBuf>,
    circuits: Mutex<HashMap<BatchShape, Arc<BatchCircuit>>>,
}

impl CircuitCache {
    /// A cache backed by `dir` (created on first write), or memory only.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            circuits: Mutex::new(HashMap::new()),
        }
    }

    /// Where the circuit of `shape` is stored.
    pub fn path(&self, shape: BatchShape) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| {
            d.join(format!(
                "batch-v{CIRCUIT_VERSION}-{}-{}slots-depth{}.bin",
                circuit_fingerprint(),
                shape.slots,
                shape.depth
            ))
        })
    }

    /// The circuit of `shape`: from memory, else from disk, else built (and written).
    pub fn get(&self, shape: BatchShape) -> anyhow::Result<Arc<BatchCircuit>> {
        let mut circuits = self.circuits.lock();
        if let Some(c) = circuits.get(&shape) {
            return Ok(c.clone());
        }
        let path = self.path(shape);
        let circuit = match path.as_deref().filter(|p| p.exists()) {
            Some(p) => match load(p, shape) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "ignoring unreadable cached circuit");
                    self.build_and_store(shape, path.as_deref())?
                }
            },
            None => self.build_and_store(shape, path.as_deref())?,
        };
        let circuit = Arc::new(circuit);
        circuits.insert(shape, circuit.clone());
        Ok(circuit)
    }

    fn build_and_store(
        &self,
        shape: BatchShape,
        path: Option<&Path>,
    ) -> anyhow::Result<BatchCircuit> {
        let started = Instant::now();
        let circuit = BatchCircuit::build(shape);
        tracing::info!(%shape, rows = circuit.rows(), seconds = started.elapsed().as_secs_f64(), "built batch circuit");
        if let Some(p) = path {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let bytes = circuit.to_bytes()?;
            // Write then rename: a crash never leaves a truncated circuit behind.
            let tmp = p.with_extension("tmp");
            std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("renaming to {}", p.display()))?;
        }
        Ok(circuit)
    }
}

fn load(path: &Path, shape: BatchShape) -> anyhow::Result<BatchCircuit> {
    let started = Instant::now();
    let bytes = std::fs::read(path)?;
    let circuit = BatchCircuit::from_bytes(&bytes)?;
    anyhow::ensure!(circuit.shape == shape, "file holds {}", circuit.shape);
    tracing::info!(%shape, seconds = started.elapsed().as_secs_f64(), "loaded cached batch circuit");
    Ok(circuit)
}

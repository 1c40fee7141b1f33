//! Built circuits, kept in memory and on disk so that a restart does not rebuild them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use parking_lot::Mutex;

use crate::circuit::{BatchCircuit, BatchShape, BatchVerifier};
use crate::signature::circuit::verifier::SignatureVerifier;
use crate::signature::circuit::{signature_fingerprint, SignatureCircuit};

/// Version of the batch circuit, recorded in proof files. Cached circuits are also keyed
/// by [`circuit_fingerprint`], so a changed circuit never loads a stale cache file even if
/// this is not bumped.
pub const CIRCUIT_VERSION: u32 = 4;

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

/// Circuits by shape: batch circuits, and signature circuits by capacity.
pub struct CircuitCache {
    dir: Option<PathBuf>,
    circuits: Mutex<HashMap<BatchShape, Arc<BatchCircuit>>>,
    verifiers: Mutex<HashMap<BatchShape, Arc<BatchVerifier>>>,
    signature_circuits: Mutex<HashMap<usize, Arc<SignatureCircuit>>>,
    signature_verifiers: Mutex<HashMap<usize, Arc<SignatureVerifier>>>,
}

impl CircuitCache {
    /// A cache backed by `dir` (created on first write), or memory only.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            circuits: Mutex::new(HashMap::new()),
            verifiers: Mutex::new(HashMap::new()),
            signature_circuits: Mutex::new(HashMap::new()),
            signature_verifiers: Mutex::new(HashMap::new()),
        }
    }

    /// The signature circuit of `capacity`, built on first use and kept in memory (its
    /// prover data is not written to disk: the starky verifier's witness generators have
    /// no serialisation).
    pub fn signature_circuit(&self, capacity: usize) -> Arc<SignatureCircuit> {
        let mut circuits = self.signature_circuits.lock();
        if let Some(c) = circuits.get(&capacity) {
            return c.clone();
        }
        let started = Instant::now();
        let circuit = Arc::new(SignatureCircuit::build(capacity));
        tracing::info!(
            capacity,
            rows = 1u64 << circuit.data.common.degree_bits(),
            seconds = started.elapsed().as_secs_f64(),
            "built signature circuit"
        );
        circuits.insert(capacity, circuit.clone());
        circuit
    }

    /// The verifier side of the signature circuit of `capacity`: from memory, else from its
    /// small file, else from the circuit (built, then dropped unless held).
    pub fn signature_verifier(&self, capacity: usize) -> anyhow::Result<Arc<SignatureVerifier>> {
        if let Some(v) = self.signature_verifiers.lock().get(&capacity) {
            return Ok(v.clone());
        }
        let path = self.dir.as_ref().map(|d| {
            d.join(format!(
                "signature-{}-{capacity}-verifier.bin",
                signature_fingerprint()
            ))
        });
        let verifier = load_or_make(
            path.as_deref(),
            |b| {
                SignatureVerifier::from_bytes(b).and_then(|v| {
                    anyhow::ensure!(
                        v.capacity == capacity,
                        "the file holds capacity {}",
                        v.capacity
                    );
                    Ok(v)
                })
            },
            SignatureVerifier::to_bytes,
            || {
                let held = self.signature_circuits.lock().get(&capacity).cloned();
                Ok(match held {
                    Some(c) => SignatureVerifier::of(&c),
                    None => {
                        let started = Instant::now();
                        let circuit = SignatureCircuit::build(capacity);
                        tracing::info!(
                            capacity,
                            seconds = started.elapsed().as_secs_f64(),
                            "built signature circuit for its verifier data"
                        );
                        SignatureVerifier::of(&circuit)
                    }
                })
            },
        )?;
        let verifier = Arc::new(verifier);
        self.signature_verifiers
            .lock()
            .insert(capacity, verifier.clone());
        Ok(verifier)
    }

    /// Where the circuit of `shape` is stored.
    pub fn path(&self, shape: BatchShape) -> Option<PathBuf> {
        self.file(shape, "")
    }

    fn file(&self, shape: BatchShape, suffix: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| {
            d.join(format!(
                "batch-v{CIRCUIT_VERSION}-{}-{}slots-depth{}{suffix}.bin",
                circuit_fingerprint(),
                shape.slots,
                shape.depth
            ))
        })
    }

    /// The directory behind the cache, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The verifier side of the circuit of `shape`: from memory, else from its small file,
    /// else taken from the whole circuit (loaded or built, then dropped unless something
    /// already holds it: a node verifying proofs for every shape must not keep every
    /// prover's data).
    pub fn verifier(&self, shape: BatchShape) -> anyhow::Result<Arc<BatchVerifier>> {
        if let Some(v) = self.verifiers.lock().get(&shape) {
            return Ok(v.clone());
        }
        let path = self.file(shape, "-verifier");
        let verifier = load_or_make(
            path.as_deref(),
            |b| {
                BatchVerifier::from_bytes(b).and_then(|v| {
                    anyhow::ensure!(v.shape == shape, "the file holds {}", v.shape);
                    Ok(v)
                })
            },
            BatchVerifier::to_bytes,
            || {
                let held = self.circuits.lock().get(&shape).cloned();
                Ok(match held {
                    Some(c) => BatchVerifier::of(&c),
                    None => match self.path(shape).filter(|p| p.exists()) {
                        Some(p) => BatchVerifier::of(&load(&p, shape)?),
                        None => {
                            let started = Instant::now();
                            let circuit = BatchCircuit::build(shape);
                            tracing::info!(%shape, seconds = started.elapsed().as_secs_f64(), "built batch circuit for its verifier data");
                            BatchVerifier::of(&circuit)
                        }
                    },
                })
            },
        )?;
        let verifier = Arc::new(verifier);
        self.verifiers.lock().insert(shape, verifier.clone());
        Ok(verifier)
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
            write_atomically(p, &circuit.to_bytes()?)?;
        }
        Ok(circuit)
    }
}

/// Verifier data from its file at `path` if that reads, else made by `make` and written
/// there (a read-only cache directory costs a rebuild next start, nothing more).
fn load_or_make<V>(
    path: Option<&Path>,
    read: impl Fn(&[u8]) -> anyhow::Result<V>,
    write: impl Fn(&V) -> anyhow::Result<Vec<u8>>,
    make: impl FnOnce() -> anyhow::Result<V>,
) -> anyhow::Result<V> {
    if let Some(p) = path.filter(|p| p.exists()) {
        match std::fs::read(p)
            .map_err(anyhow::Error::from)
            .and_then(|b| read(&b))
        {
            Ok(v) => return Ok(v),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %format!("{e:#}"), "ignoring unreadable cached verifier data")
            }
        }
    }
    let v = make()?;
    if let Some(p) = path {
        if let Err(e) = write(&v).and_then(|b| write_atomically(p, &b)) {
            tracing::warn!(path = %p.display(), error = %format!("{e:#}"), "could not cache verifier data");
        }
    }
    Ok(v)
}

/// Writes then renames: a crash never leaves a truncated file behind, and processes
/// sharing a cache directory (a node and `quire prover`, or parallel tests) never read
/// each other's half-written files.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // On disk before the rename makes it visible: a power cut never leaves a
        // truncated file under the final name.
        f.sync_all()
    };
    write().with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

fn load(path: &Path, shape: BatchShape) -> anyhow::Result<BatchCircuit> {
    let started = Instant::now();
    let bytes = std::fs::read(path)?;
    let circuit = BatchCircuit::from_bytes(&bytes)?;
    anyhow::ensure!(circuit.shape == shape, "file holds {}", circuit.shape);
    tracing::info!(%shape, seconds = started.elapsed().as_secs_f64(), "loaded cached batch circuit");
    Ok(circuit)
}

//! `quire prove-batch` and `quire verify-batch`: batch proofs from a node's data directory.
//!
//! Both open the store read-only, so they run beside a live node.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use quire_primitives::field::digest_to_b256;
use quire_prover::cache::CircuitCache;
use quire_prover::proof_file::BatchProofFile;
use quire_prover::BatchPublicInputs;
use quire_sequencer::storage::Store;

use crate::config::NodeConfig;

/// Where the node's data lives, and where circuits are cached.
#[derive(clap::Args, Debug)]
pub struct DataArgs {
    /// TOML config file (for its data directory).
    #[arg(long, env = "QUIRE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (overrides the config).
    #[arg(long, env = "QUIRE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Circuit cache directory (default: `<data dir>/circuits`).
    #[arg(long, env = "QUIRE_CIRCUITS_DIR")]
    pub circuits: Option<PathBuf>,
}

impl DataArgs {
    fn data_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(d) = &self.data_dir {
            return Ok(d.clone());
        }
        Ok(match &self.config {
            Some(path) => NodeConfig::from_file(path)?.data_dir,
            None => NodeConfig::default().data_dir,
        })
    }

    fn open(&self) -> anyhow::Result<(Store, CircuitCache, PathBuf)> {
        let dir = self.data_dir()?;
        let db = quire_sequencer::storage::db_path(&dir);
        if !db.exists() {
            bail!("no node database at {}", db.display());
        }
        let store = Store::open_read_only(&db)
            .with_context(|| format!("opening {} read-only", db.display()))?;
        let circuits = self
            .circuits
            .clone()
            .unwrap_or_else(|| dir.join("circuits"));
        Ok((store, CircuitCache::new(Some(circuits)), dir))
    }
}

/// `quire prove-batch`.
#[derive(clap::Args, Debug)]
pub struct ProveBatchArgs {
    /// Batch number (sealed).
    pub number: u64,
    /// Output file (default: `<data dir>/proofs/batch-<N>.json`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Where the node's data and circuits are.
    #[command(flatten)]
    pub data: DataArgs,
}

/// `quire verify-batch`.
#[derive(clap::Args, Debug)]
pub struct VerifyBatchArgs {
    /// Proof file written by `quire prove-batch`.
    pub proof: PathBuf,
    /// Where the node's data and circuits are.
    #[command(flatten)]
    pub data: DataArgs,
}

fn print_public(pi: &BatchPublicInputs) {
    println!("batch            {}", pi.batch_number);
    println!("prev state root  {}", digest_to_b256(&pi.prev_root));
    println!("new state root   {}", digest_to_b256(&pi.new_root));
    println!("tx commitment    {}", digest_to_b256(&pi.tx_commitment));
    println!("transfers        {}", pi.tx_count);
    println!("base fee         {}", pi.base_fee);
    println!("fee recipient    {}", pi.fee_recipient);
    println!(
        "accounts         {} -> {}",
        pi.leaf_count_before, pi.leaf_count_after
    );
}

/// Proves a sealed batch, verifies the proof, checks it against the stored batch, and
/// writes it.
pub fn prove_batch(args: ProveBatchArgs) -> anyhow::Result<()> {
    let (store, cache, dir) = args.data.open()?;
    let started = Instant::now();
    let proven = quire_prover::prove_sealed_batch(&store, &cache, args.number)
        .with_context(|| format!("proving batch {}", args.number))?;
    let elapsed = started.elapsed();
    let out = args.out.unwrap_or_else(|| {
        dir.join("proofs")
            .join(format!("batch-{}.json", args.number))
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    BatchProofFile::new(proven.shape, args.number, &proven.proof).write(&out)?;
    print_public(&proven.public_inputs);
    println!("circuit          {}", proven.shape);
    println!(
        "proof            {} ({} bytes)",
        out.display(),
        proven.proof.to_bytes().len()
    );
    println!(
        "time             {:.2} s (circuit load or build included)",
        elapsed.as_secs_f64()
    );
    println!("verified against the stored batch: ok");
    Ok(())
}

/// Verifies a proof file and checks its public inputs against the stored batch.
pub fn verify_batch(args: VerifyBatchArgs) -> anyhow::Result<()> {
    let file = BatchProofFile::read(&args.proof)?;
    if !quire_prover::shapes::is_standard(file.shape) {
        bail!(
            "proof file names a circuit shape ({}) that is not a standard one",
            file.shape
        );
    }
    let (store, cache, _) = args.data.open()?;
    let verifier = cache.verifier(file.shape)?;
    let proof = file.decode(&verifier.data.common)?;
    let started = Instant::now();
    let pi = verifier.verify(&proof)?;
    let verify_time = started.elapsed();
    if pi.batch_number != file.batch_number {
        bail!(
            "proof file says batch {}, its public inputs say {}",
            file.batch_number,
            pi.batch_number
        );
    }
    quire_prover::check_against_chain(&pi, &store)?;
    print_public(&pi);
    println!(
        "proof verifies ({:.1} ms) and matches the stored batch: ok",
        verify_time.as_secs_f64() * 1000.0
    );
    Ok(())
}

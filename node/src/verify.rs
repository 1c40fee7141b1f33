//! `quire verify` and `quire verifier-key`: the light-client check of a final proof.
//!
//! A light client pins the final circuit's verifier key (a file `quire verifier-key`
//! writes, or the one the node writes beside its circuits) and checks a final proof
//! against it in milliseconds. With `--rpc`, it also checks what the proof claims against
//! the batches the node serves: the roots at both ends, and the digest of every covered
//! batch's number, transaction commitment, count, base fee and fee recipient, and of the
//! chain id every transfer's signature was proven for.

use std::path::PathBuf;
use std::time::Instant;

use alloy_primitives::U64;
use anyhow::{anyhow, bail, ensure, Context};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use quire_aggregator::circuits::{final_verifier_path, AggregationCircuits, FinalVerifier};
use quire_aggregator::public_inputs::{range_digest, BatchDigestFields};
use quire_aggregator::AggregatePublicInputs;
use quire_aggregator::FinalProofFile;
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::Digest;
use quire_prover::cache::CircuitCache;
use quire_rpc::QuireApiClient;

/// `quire verify` flags.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// A final proof file (the JSON `quire_getAggregateProof` returns). Without it, the
    /// proof is fetched from `--rpc`.
    pub file: Option<PathBuf>,
    /// A node's JSON-RPC URL: fetch the proof from it (unless a file is given) and check
    /// the proof's claims against the batches it serves.
    #[arg(long)]
    pub rpc: Option<String>,
    /// With `--rpc` and no file: the batch whose final proof to fetch (default: newest).
    #[arg(long)]
    pub batch: Option<u64>,
    /// The pinned verifier key (default: the one in `--circuits`, built there if absent).
    #[arg(long)]
    pub verifier_key: Option<PathBuf>,
    /// The key digest the verifier key must have: Keccak-256 of the whole key (common data
    /// with gates, selectors and FRI parameters, and verifier-only data) in its canonical
    /// serialisation, hex, as `quire verifier-key` prints it.
    #[arg(long)]
    pub key_digest: Option<String>,
    /// Circuit cache directory.
    #[arg(
        long,
        env = "QUIRE_CIRCUITS_DIR",
        default_value = "./quire-data/circuits"
    )]
    pub circuits: PathBuf,
    /// With `--rpc`: the chain id the proof's signatures must be for (default: the node's
    /// `eth_chainId`).
    #[arg(long)]
    pub chain_id: Option<u64>,
}

/// `quire verifier-key` flags.
#[derive(clap::Args, Debug)]
pub struct VerifierKeyArgs {
    /// Circuit cache directory.
    #[arg(
        long,
        env = "QUIRE_CIRCUITS_DIR",
        default_value = "./quire-data/circuits"
    )]
    pub circuits: PathBuf,
    /// Also copy the key here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The key in `circuits`, built (with every aggregation circuit) if it is not there.
fn key_in(circuits: &std::path::Path) -> anyhow::Result<(PathBuf, FinalVerifier)> {
    let path = final_verifier_path(circuits);
    if !path.exists() {
        eprintln!(
            "building the aggregation circuits to derive the verifier key (about a minute the first time)..."
        );
        AggregationCircuits::build_standard(&CircuitCache::new(Some(circuits.to_path_buf())))?;
    }
    let key = FinalVerifier::read(&path)?;
    Ok((path, key))
}

/// Writes (and prints) the final verifier key.
pub fn verifier_key(args: VerifierKeyArgs) -> anyhow::Result<()> {
    let (path, key) = key_in(&args.circuits)?;
    if let Some(out) = &args.out {
        std::fs::copy(&path, out)
            .with_context(|| format!("copying the key to {}", out.display()))?;
    }
    println!(
        "verifier key     {}",
        args.out.as_ref().unwrap_or(&path).display()
    );
    println!("key digest       0x{}", key.key_digest_hex()?);
    println!(
        "circuit digest   0x{} (plonky2's; does not cover the FRI parameters: pin the key digest)",
        key.circuit_digest_hex()
    );
    Ok(())
}

/// `quire verifier-contract` flags.
#[derive(clap::Args, Debug)]
pub struct VerifierContractArgs {
    /// Circuit cache directory.
    #[arg(
        long,
        env = "QUIRE_CIRCUITS_DIR",
        default_value = "./quire-data/circuits"
    )]
    pub circuits: PathBuf,
    /// Where to write the contract (the committed one is contracts/solidity/Verifier.sol;
    /// `contracts/build.sh` then refreshes the bytecode the node deploys).
    #[arg(long, default_value = "contracts/solidity/Verifier.sol")]
    pub out: PathBuf,
}

/// Writes the Solidity Verifier of the final circuit (built in `--circuits` if absent).
pub fn verifier_contract(args: VerifierContractArgs) -> anyhow::Result<()> {
    let (_, key) = key_in(&args.circuits)?;
    let source = quire_contracts::generate::verifier_contract(&key.data)?;
    std::fs::write(&args.out, source).with_context(|| format!("writing {}", args.out.display()))?;
    println!("verifier contract {}", args.out.display());
    println!("key digest        0x{}", key.key_digest_hex()?);
    Ok(())
}

/// Verifies a final proof, and with `--rpc` checks its claims against the node's batches.
pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let (key_path, key) = match &args.verifier_key {
        Some(p) => (p.clone(), FinalVerifier::read(p)?),
        None => {
            let circuits = args.circuits.clone();
            tokio::task::spawn_blocking(move || key_in(&circuits))
                .await
                .context("building the key panicked")??
        }
    };
    let client = match &args.rpc {
        Some(url) => Some(
            HttpClientBuilder::default()
                .max_response_size(64 << 20)
                .build(url)
                .with_context(|| format!("connecting to {url}"))?,
        ),
        None => None,
    };
    let file = match (&args.file, &client) {
        (Some(path), _) => FinalProofFile::read(path)?,
        (None, Some(client)) => {
            let answer = client
                .aggregate_proof(args.batch.map(U64::from))
                .await
                .context("calling quire_getAggregateProof")?;
            match answer {
                Some(file) => file,
                None => bail!(
                    "the node has no final proof {}",
                    args.batch
                        .map_or("yet".to_string(), |n| format!("covering batch {n} yet"))
                ),
            }
        }
        (None, None) => bail!("give a final proof file or --rpc URL"),
    };
    if let Some(want) = &args.key_digest {
        key.check_pin(want)?;
    }
    let started = Instant::now();
    let pi = file.verify(&key)?;
    let elapsed = started.elapsed();
    if let (None, Some(n)) = (&args.file, args.batch) {
        ensure!(
            pi.first_batch <= n && n <= pi.last_batch,
            "the node answered with a proof of batches {}..={}, not one covering batch {n}",
            pi.first_batch,
            pi.last_batch
        );
    }
    println!(
        "verifier key     {} (key digest 0x{})",
        key_path.display(),
        key.key_digest_hex()?
    );
    print_claims(&pi);
    println!("proof verifies   {:.1} ms", elapsed.as_secs_f64() * 1000.0);
    if let Some(client) = &client {
        check_against_node(client, &pi, args.chain_id).await?;
        println!(
            "matches the node's batches {}..={}: chained roots, transaction commitments, fees, chain id",
            pi.first_batch, pi.last_batch
        );
    }
    Ok(())
}

fn print_claims(pi: &AggregatePublicInputs) {
    println!("batches          {}..={}", pi.first_batch, pi.last_batch);
    println!("chain id         {}", pi.chain_id);
    println!("prev state root  {}", digest_to_b256(&pi.prev_root));
    println!("new state root   {}", digest_to_b256(&pi.new_root));
    println!(
        "accounts         {} -> {}",
        pi.leaf_count_before, pi.leaf_count_after
    );
    println!("transfers        {}", pi.tx_count);
    println!("batches digest   {}", digest_to_b256(&pi.batches_digest));
    println!(
        "deposits         {} -> {} (queue hash {} -> {})",
        pi.deposit_count_before, pi.deposit_count_after, pi.queue_hash_before, pi.queue_hash_after
    );
    println!(
        "withdrawal hash  {} -> {}",
        pi.withdrawal_hash_before, pi.withdrawal_hash_after
    );
}

async fn check_against_node(
    client: &HttpClient,
    pi: &AggregatePublicInputs,
    chain_id: Option<u64>,
) -> anyhow::Result<()> {
    let chain_id = match chain_id {
        Some(id) => id,
        None => {
            use jsonrpsee::core::client::ClientT;
            let id: U64 = client
                .request("eth_chainId", jsonrpsee::rpc_params![])
                .await
                .context("calling eth_chainId")?;
            id.to()
        }
    };
    ensure!(
        pi.chain_id == chain_id,
        "the proof's transfers were signed for chain {}, not chain {chain_id}",
        pi.chain_id
    );
    let mut digests = Vec::new();
    let mut transfers: u64 = 0;
    let mut previous_root = None;
    let deposits_of = |b: &quire_rpc::BatchView| -> anyhow::Result<(u64, Digest)> {
        let chain = b256_to_digest(&b.deposit_chain)
            .ok_or_else(|| anyhow!("batch {}: depositChain is not a digest", b.number))?;
        Ok((b.deposit_count.to(), chain))
    };
    let before = pi
        .first_batch
        .checked_sub(1)
        .ok_or_else(|| anyhow!("the proof starts at batch 0, which holds only genesis"))?;
    let start = client
        .batch_by_number(U64::from(before))
        .await
        .with_context(|| format!("calling quire_getBatchByNumber({before})"))?
        .ok_or_else(|| anyhow!("the node does not know batch {before}"))?;
    ensure!(
        (
            start.deposit_count.to::<u64>(),
            start.queue_hash,
            start.withdrawal_hash
        ) == (
            pi.deposit_count_before,
            pi.queue_hash_before,
            pi.withdrawal_hash_before
        ),
        "the proof starts from another bridge state than the node's batch {before}"
    );
    let mut deposits_before = deposits_of(&start)?;
    for n in pi.first_batch..=pi.last_batch {
        let b = client
            .batch_by_number(U64::from(n))
            .await
            .with_context(|| format!("calling quire_getBatchByNumber({n})"))?
            .ok_or_else(|| anyhow!("the node does not know batch {n}"))?;
        let root = |name: &str| -> anyhow::Result<_> {
            let value = match name {
                "prevStateRoot" => b.prev_state_root,
                "stateRoot" => b.state_root,
                _ => b.tx_commitment,
            };
            b256_to_digest(&value).ok_or_else(|| anyhow!("batch {n}: {name} is not a digest"))
        };
        // The node's batches must chain too, so that the proof's two end roots speak for
        // every batch in between.
        if let Some(prev) = previous_root {
            ensure!(
                root("prevStateRoot")? == prev,
                "the node's batch {n} does not start where batch {} ends",
                n - 1
            );
        }
        previous_root = Some(root("stateRoot")?);
        if n == pi.first_batch {
            ensure!(
                root("prevStateRoot")? == pi.prev_root,
                "the proof starts from another state root than batch {n}"
            );
        }
        if n == pi.last_batch {
            ensure!(
                root("stateRoot")? == pi.new_root,
                "the proof ends in another state root than batch {n}"
            );
            ensure!(
                (b.deposit_count.to::<u64>(), b.queue_hash, b.withdrawal_hash)
                    == (
                        pi.deposit_count_after,
                        pi.queue_hash_after,
                        pi.withdrawal_hash_after
                    ),
                "the proof ends in another bridge state than batch {n}"
            );
        }
        let fields = BatchDigestFields {
            number: n,
            tx_commitment: root("txCommitment")?,
            tx_count: b.tx_count.to(),
            base_fee: b
                .base_fee
                .ok_or_else(|| anyhow!("batch {n} has no base fee"))?
                .to(),
            fee_recipient: b
                .fee_recipient
                .ok_or_else(|| anyhow!("batch {n} has no fee recipient"))?,
            chain_id,
            deposits_before,
            deposits_after: deposits_of(&b)?,
        };
        deposits_before = fields.deposits_after;
        transfers = transfers
            .checked_add(fields.tx_count)
            .ok_or_else(|| anyhow!("the node's transfer counts overflow"))?;
        digests.push(fields.digest());
    }
    ensure!(
        range_digest(&digests) == pi.batches_digest,
        "the proof commits to other batch contents than the node serves"
    );
    ensure!(transfers == pi.tx_count, "the proof counts other transfers");
    Ok(())
}

//! Regenerates the Verifier contract and the forge fixtures from real final proofs
//! (`cargo run --release -p quire-contracts --example fixtures`): proves 8 batches of
//! signed transfers in the smallest standard shape and their signature proofs (batch 1
//! also credits the first deposit of a Bridge queue, [`FIXTURE_DEPOSIT`]; batch 8 also
//! withdraws to L1, [`FIXTURE_WITHDRAWAL`]), binds and aggregates batch 1 alone and batches
//! 1..=8, wraps both for L1, and writes `solidity/Verifier.sol` and
//! `test/fixtures/final-{1,8}.json` (the deposit and the withdrawal too, for the forge
//! tests to queue and record the same).
use std::path::PathBuf;
use std::time::Instant;

use alloy_primitives::{Address, U256};
use plonky2::field::extension::FieldExtension;
use plonky2::field::types::PrimeField64;
use quire_aggregator::circuits::AggregationCircuits;
use quire_contracts::calldata::{encode_proof, public_inputs, ProofShape};
use quire_contracts::generate::verifier_contract;
use quire_primitives::{BridgeState, Deposit, StateTree, WITHDRAWAL_ADDRESS};
use quire_prover::cache::CircuitCache;
use quire_prover::signature::witness::{BridgeStatement, SignatureStatement, SignedTransfer};
use quire_prover::witness::WitnessBuilder;
use quire_prover::BatchShape;
use quire_sequencer::execution::{apply_transfer, credit_deposit};

/// The deposit batch 1 credits: the Bridge's first, to `0x…ab` of 1 ETH, made in L1 block
/// 100 (the forge tests queue it there).
const FIXTURE_DEPOSIT: Deposit = Deposit {
    index: 0,
    recipient: Address::repeat_byte(0xab),
    amount: 1_000_000_000_000_000_000,
    l1_block: 100,
};

/// Key and amount of the withdrawal batch 8 makes (its sender's next transfer).
const FIXTURE_WITHDRAWAL: (u8, u128) = (1, 123_456_789);

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // `--contract-only`: regenerate the contract from the committed fixture key (seconds).
    if std::env::args().any(|a| a == "--contract-only") {
        let key = quire_aggregator::circuits::FinalVerifier::read(
            &root.join("test/fixtures/verifier-key.bin"),
        )?;
        std::fs::write(
            root.join(quire_contracts::VERIFIER_SOURCE),
            verifier_contract(&key.data)?,
        )?;
        return Ok(());
    }
    let circuits = std::env::var_os("QUIRE_CIRCUITS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../.quire/circuits"));
    std::fs::create_dir_all(&circuits)?;
    let cache = CircuitCache::new(Some(circuits));
    let t = Instant::now();
    let all = AggregationCircuits::build_standard(&cache)?;
    println!("circuits built in {:.1} s", t.elapsed().as_secs_f64());
    let fv = all.final_verifier();
    let source = verifier_contract(&fv.data)?;
    std::fs::write(root.join(quire_contracts::VERIFIER_SOURCE), &source)?;
    std::fs::write(root.join("test/fixtures/verifier-key.bin"), fv.to_bytes()?)?;
    let shape = ProofShape::of(&fv.data.common);
    println!("proof bytes {}", shape.encoded_len());

    let batch_shape = BatchShape {
        slots: 15,
        depth: 16,
    };
    let batch = cache.get(batch_shape)?;
    let base_fee = 1_000u64;
    let chain_id = 271_828;
    let fr = Address::repeat_byte(0xfe);
    let mut tree = StateTree::new();
    for k in 0..5u8 {
        let (idx, _) = tree.get_or_insert(quire_test_support::key(k).address())?;
        tree.set_account(idx, 0, 10u128.pow(21))?;
    }
    tree.commit();
    let mut leaves = Vec::new();
    let mut batches = quire_test_support::signed_batches(8, 5, chain_id, 2 * u128::from(base_fee));
    let (k, amount) = FIXTURE_WITHDRAWAL;
    batches[7].push(quire_test_support::typed_transfer(
        &quire_test_support::key(k),
        2,
        chain_id,
        8,
        WITHDRAWAL_ADDRESS,
        U256::from(amount),
        2 * u128::from(base_fee),
    ));
    let mut bridge = BridgeState::genesis();
    for (n, envelopes) in (1..=8u64).zip(batches) {
        let before = bridge;
        let mut b = WitnessBuilder::new(tree.leaves(), 16, n, base_fee, fr)?
            .with_deposits_before(before.deposit_count, before.deposit_chain);
        let deposits = if n == 1 {
            vec![FIXTURE_DEPOSIT]
        } else {
            vec![]
        };
        for d in &deposits {
            b.push_deposit(d)?;
            credit_deposit(&mut tree, d, fr).map_err(anyhow::Error::msg)?;
            bridge.credit(d);
        }
        let transfers = envelopes
            .iter()
            .map(SignedTransfer::from_envelope)
            .collect::<Result<Vec<_>, _>>()?;
        for signed in &transfers {
            let t = &signed.transfer;
            b.push_transfer(t)?;
            let upfront =
                U256::from(t.gas_limit) * U256::from(t.max_fee_per_gas) + U256::from(t.value);
            apply_transfer(&mut tree, t, upfront, fr, base_fee).map_err(anyhow::Error::msg)?;
            if t.to == WITHDRAWAL_ADDRESS {
                bridge.withdraw(&t.sender, t.value);
            }
        }
        tree.commit();
        let w = b.finish()?;
        let proof = batch.prove(&w)?;
        let statement = SignatureStatement {
            chain_id,
            transfers,
            bridge: BridgeStatement { before, deposits },
        };
        let signatures = all
            .aggregator
            .prove_signature_leaf(16, &cache.signature_circuit(16).prove(&statement)?)?;
        leaves.push(
            all.aggregator
                .prove_leaf(batch_shape, &proof, &signatures)?,
        );
    }
    for count in [1usize, 8] {
        let top = all.aggregator.aggregate(&leaves[..count])?;
        let t = Instant::now();
        let fin = all.wrap.prove(&all.aggregator, &top)?;
        let prove = t.elapsed();
        fv.verify(&fin)?;
        let ch = fin.get_challenges(
            fin.get_public_inputs_hash(),
            &fv.data.verifier_only.circuit_digest,
            &fv.data.common,
        )?;
        let hex_u64 = |x: u64| format!("0x{x:x}");
        let ext =
            |e: &<quire_aggregator::F as plonky2::field::extension::Extendable<2>>::Extension| {
                FieldExtension::<2>::to_basefield_array(e)
                    .map(|x| hex_u64(x.to_canonical_u64()))
                    .to_vec()
            };
        let layout = shape.layout();
        let mut tamper: Vec<(String, usize)> = vec![
            ("wires cap".into(), 0),
            ("Z cap".into(), layout.cap_bytes),
            ("quotient cap".into(), 2 * layout.cap_bytes),
        ];
        let c = &fv.data.common;
        let groups = [
            ("constants", 0),
            ("sigmas", c.num_constants),
            ("wires", c.num_constants + c.config.num_routed_wires),
            (
                "Zs",
                c.num_constants + c.config.num_routed_wires + c.config.num_wires,
            ),
            (
                "partial products",
                c.num_constants + c.config.num_routed_wires + c.config.num_wires + 2,
            ),
            (
                "quotient",
                shape.openings_zeta - 2 * c.quotient_degree_factor,
            ),
            ("Zs at g·zeta", shape.openings_zeta),
        ];
        for (name, i) in groups {
            tamper.push((format!("opening: {name}"), layout.off_openings + i * 16 + 7));
        }
        for l in 0..shape.arity_bits.len() {
            tamper.push((
                format!("FRI layer {l} cap"),
                layout.off_fri_caps + l * layout.cap_bytes + 3,
            ));
        }
        tamper.push((
            "final polynomial, first coefficient".into(),
            layout.off_final_poly + 7,
        ));
        tamper.push((
            "final polynomial, last coefficient".into(),
            layout.off_final_poly + shape.final_poly_len * 16 - 1,
        ));
        tamper.push(("proof-of-work witness".into(), layout.off_pow + 7));
        let names = [
            "constants and sigmas",
            "wires",
            "Zs and partial products",
            "quotient",
        ];
        for q in [0, shape.queries - 1] {
            let base = layout.off_queries + q * layout.query_bytes;
            for (o, name) in names.iter().enumerate() {
                let leaf = base + layout.leaf_offsets[o];
                tamper.push((format!("query {q}: {name} leaf"), leaf));
                let sib = leaf + shape.leaf_widths[o] * 8;
                tamper.push((format!("query {q}: {name} first sibling"), sib + 5));
                tamper.push((
                    format!("query {q}: {name} last sibling"),
                    sib + (shape.initial_path - 1) * quire_aggregator::wrap::WRAP_HASH_BYTES + 5,
                ));
            }
            for (l, off) in layout.layer_offsets.iter().enumerate() {
                tamper.push((
                    format!("query {q}: FRI layer {l} values"),
                    base + off + 16 * 3,
                ));
                tamper.push((
                    format!("query {q}: FRI layer {l} sibling"),
                    base + off + (16 << shape.arity_bits[l]) + 2,
                ));
            }
        }
        let withdrawal = quire_test_support::key(k).address();
        let json = serde_json::json!({
            "deposit": {
                "l2Recipient": FIXTURE_DEPOSIT.recipient.to_string(),
                "amount": FIXTURE_DEPOSIT.amount.to_string(),
                "l1Block": FIXTURE_DEPOSIT.l1_block,
            },
            "withdrawals": if count == 8 {
                vec![format!("{withdrawal:#x}{amount:024x}")]
            } else {
                vec![]
            },
            "tamperNames": tamper.iter().map(|t| t.0.clone()).collect::<Vec<_>>(),
            "tamperOffsets": tamper.iter().map(|t| t.1).collect::<Vec<_>>(),
            "batches": count,
            "publicInputs": public_inputs(&fin).iter().map(|x| format!("{x:#x}")).collect::<Vec<_>>(),
            "proof": format!("0x{}", hex::encode(encode_proof(&shape, &fin)?)),
            "plonky2Proof": format!("0x{}", hex::encode(fin.to_bytes())),
            "proveSeconds": prove.as_secs_f64(),
            "challenges": {
                "betas": ch.plonk_betas.iter().map(|x| hex_u64(x.to_canonical_u64())).collect::<Vec<_>>(),
                "gammas": ch.plonk_gammas.iter().map(|x| hex_u64(x.to_canonical_u64())).collect::<Vec<_>>(),
                "alphas": ch.plonk_alphas.iter().map(|x| hex_u64(x.to_canonical_u64())).collect::<Vec<_>>(),
                "zeta": ext(&ch.plonk_zeta),
                "friAlpha": ext(&ch.fri_challenges.fri_alpha),
                "friBetas": ch.fri_challenges.fri_betas.iter().flat_map(ext).collect::<Vec<_>>(),
                "powResponse": hex_u64(ch.fri_challenges.fri_pow_response.to_canonical_u64()),
                "queryIndices": ch.fri_challenges.fri_query_indices,
            },
        });
        let path = root.join(format!("test/fixtures/final-{count}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
        println!(
            "{count} batches: final proof in {:.1} s, written to {}",
            prove.as_secs_f64(),
            path.display()
        );
    }
    Ok(())
}

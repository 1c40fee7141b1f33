//! Windows built one after another, each from the accounts the previous build carried
//! forward, are exactly the windows built from the chain's leaf history.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolValue;
use quire_aggregator::Window;
use quire_primitives::BatchStatus;
use quire_sequencer::{GenesisAccount, Sequencer, SequencerConfig};
use quire_settlement::{build_window, WindowCommit};
use quire_test_support::key;

const CHAIN: u64 = 271_828;

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn same(a: &WindowCommit, b: &WindowCommit) -> bool {
    a.header.abi_encode() == b.header.abi_encode() && a.data == b.data
}

#[test]
fn carried_accounts_build_the_windows_the_history_builds() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = SequencerConfig::default();
    cfg.genesis.chain_id = CHAIN;
    cfg.genesis.alloc = (0..3u8)
        .map(|i| GenesisAccount {
            address: key(i).address(),
            balance: 10u128.pow(21),
        })
        .collect();
    cfg.production.block_time_ms = 10;
    cfg.production.fee_recipient = Address::repeat_byte(0xfe);
    cfg.production.batch_max_txs = 4;
    cfg.production.batch_max_age_ms = 300;
    let seq = Sequencer::open(cfg, dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // Senders reuse their nonces across windows, and every other round creates accounts.
    for nonce in 0..6u64 {
        for i in 0..3u8 {
            let to = if nonce % 2 == 0 {
                key((i + 1) % 3).address()
            } else {
                Address::repeat_byte(0x40 + nonce as u8 * 3 + i)
            };
            let tx =
                quire_test_support::transfer(CHAIN, nonce, to, U256::from(7), 2_000_000_000, 3);
            rt.block_on(seq.submit(quire_test_support::sign(&key(i), tx)))
                .unwrap();
        }
    }
    wait_until("inclusion", || seq.pending_count() == 0);
    wait_until("the last batch sealed", || {
        seq.latest_batch().unwrap().unwrap().status() == BatchStatus::Sealed
    });
    let last = seq.latest_batch().unwrap().unwrap().number;
    assert!(last >= 5, "18 transfers in batches of at most 4");

    let store = seq.store().as_ref();
    let mut windows = Vec::new();
    let mut start = 1;
    for len in [2, 1, 3].into_iter().cycle() {
        if start > last {
            break;
        }
        let end = (start + len - 1).min(last);
        windows.push(Window { start, end });
        start = end + 1;
    }
    let mut carried = None;
    for w in &windows {
        let from_history = build_window(store, *w, CHAIN, &mut None).unwrap();
        let chained = build_window(store, *w, CHAIN, &mut carried).unwrap();
        assert!(same(&chained, &from_history), "window {w:?}");
        assert!(carried.is_some());
    }
    // Accounts carried to another start are not used: the history is read again.
    let first = build_window(store, windows[0], CHAIN, &mut None).unwrap();
    assert!(same(
        &build_window(store, windows[0], CHAIN, &mut carried).unwrap(),
        &first
    ));
    seq.shutdown().unwrap();
}

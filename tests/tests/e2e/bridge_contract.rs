//! The Bridge contract on a real anvil, driven from Rust and from cast the way users will:
//! deposits queue with the running hash the node recomputes from their events, withdrawals
//! recorded by the Rollup's address are claimed with paths built by
//! `quire_primitives::WithdrawalTree`, exactly once, and forged claims are refused.
//! (The Bridge is not yet wired to the Rollup or the node: see the README's status.)

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol_types::{SolCall, SolError, SolEvent};
use quire_contracts::bridge::{claim_call, deploy_bridge, Bridge};
use quire_primitives::deposit::genesis_queue_hash;
use quire_primitives::{Deposit, Withdrawal, WithdrawalTree};
use quire_tests::*;

/// Goals of the bridge issue, in L1 gas per transaction.
const DEPOSIT_GAS_GOAL: u64 = 45_000;
const CLAIM_GAS_GOAL: u64 = 60_000;

/// Asserts that a call from `from` reverts with the custom error `selector`.
async fn assert_refused(
    url: &str,
    from: Address,
    to: Address,
    input: Vec<u8>,
    value: U256,
    selector: [u8; 4],
) {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(input)
        .with_value(value);
    let err = provider(url)
        .call(tx)
        .await
        .expect_err("the call must revert");
    let err = format!("{err:?}");
    assert!(err.contains(&alloy::hex::encode(selector)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_queue_in_order_and_withdrawals_pay_exactly_once() {
    let l1 = AnvilL1::start().await;
    let keys = keys();
    let (deployer, rollup, user) = (&keys[0], &keys[1], &keys[2]);
    let bridge = deploy_bridge(
        &wallet_provider(&l1.url, deployer.clone()),
        rollup.address(),
    )
    .await
    .unwrap();
    // Deployment fills the deposit history; it must fit EIP-7825's cap of 2^24 gas per
    // transaction (live since Osaka), though anvil runs Prague here.
    let deploy_gas = provider(&l1.url)
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .gas_used;
    assert!(deploy_gas < 1 << 24, "deployment took {deploy_gas} gas");

    // Deposits: two from alloy, one with plain cast as the README shows.
    let l2_alice = Address::repeat_byte(0xa1);
    let l2_bob = Address::repeat_byte(0xb0);
    let mut gas = Vec::new();
    for (to, wei) in [(l2_alice, 1_000_000_000_000_000_000u128), (l2_bob, 5)] {
        let call = Bridge::depositCall { l2Recipient: to }.abi_encode();
        let r = send(&l1.url, user, bridge, call, U256::from(wei))
            .await
            .unwrap();
        assert!(r.status());
        gas.push(r.gas_used);
    }
    let key_hex = format!("0x{}", alloy::hex::encode(user.to_bytes()));
    run_cast(&[
        "send",
        &bridge.to_string(),
        "deposit(address)",
        &l2_alice.to_string(),
        "--value",
        "0.5ether",
        "--private-key",
        &key_hex,
        "--rpc-url",
        &l1.url,
    ])
    .unwrap();
    for g in &gas {
        assert!(*g <= DEPOSIT_GAS_GOAL, "a deposit took {g} gas");
    }

    assert_eq!(
        contract_view(&l1.url, bridge, Bridge::GENESIS_QUEUE_HASHCall {}).await,
        genesis_queue_hash()
    );

    // The node's view: the events, the chain of hashes recomputed, the Bridge's own head.
    let logs = provider(&l1.url)
        .get_logs(
            &Filter::new()
                .address(bridge)
                .event_signature(Bridge::DepositQueued::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(logs.len(), 3);
    let mut head = genesis_queue_hash();
    let mut deposits = Vec::new();
    for log in &logs {
        let e = Bridge::DepositQueued::decode_log_data(log.data()).unwrap();
        let block = log.block_number.expect("a mined log");
        let d = Deposit::new(e.index, e.l2Recipient, e.amount, block).unwrap();
        head = d.queue_hash(head);
        assert_eq!(
            head, e.queueHash,
            "the event's hash is the recomputed chain"
        );
        deposits.push(d);
    }
    assert_eq!(deposits[2].recipient, l2_alice);
    assert_eq!(deposits[2].amount, 500_000_000_000_000_000);
    let q = contract_view(&l1.url, bridge, Bridge::queueCall {}).await;
    assert_eq!((q.count, q.head), (3, head));

    // The Bridge refuses a deposit to nobody.
    let bad = Bridge::depositCall {
        l2Recipient: Address::ZERO,
    }
    .abi_encode();
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        bad,
        U256::from(1),
        Bridge::BadRecipient::SELECTOR,
    )
    .await;

    // Withdrawals 0..5 of window 1, recorded by the Rollup's address.
    let fresh = Address::repeat_byte(0xf1);
    let withdrawals: Vec<Withdrawal> = [
        (user.address(), 300_000_000_000_000_000u128),
        (fresh, 7),
        (user.address(), 11),
        (Address::repeat_byte(0xf2), 13),
        (Address::repeat_byte(0xf3), 17),
    ]
    .iter()
    .enumerate()
    .map(|(i, (recipient, amount))| Withdrawal {
        index: i as u64,
        recipient: *recipient,
        amount: *amount,
    })
    .collect();
    let leaves: Vec<_> = withdrawals.iter().map(Withdrawal::leaf).collect();
    let tree = WithdrawalTree::new(&leaves);
    let record = Bridge::recordWithdrawalsCall {
        window: U256::from(1),
        firstIndex: 0,
        count: 5,
        root: tree.root(),
    }
    .abi_encode();
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        record.clone(),
        U256::ZERO,
        Bridge::NotRollup::SELECTOR,
    )
    .await;
    assert!(send(&l1.url, rollup, bridge, record, U256::ZERO)
        .await
        .unwrap()
        .status());

    let claim = |w: &Withdrawal, position: usize| claim_call(1, w, tree.path(position).unwrap());

    // The user claims their own withdrawal: their L1 balance grows by it, less the gas.
    let before = provider(&l1.url).get_balance(user.address()).await.unwrap();
    let r = send(
        &l1.url,
        user,
        bridge,
        claim(&withdrawals[0], 0).abi_encode(),
        U256::ZERO,
    )
    .await
    .unwrap();
    assert!(r.status());
    assert!(
        r.gas_used <= CLAIM_GAS_GOAL,
        "a claim took {} gas",
        r.gas_used
    );
    let after = provider(&l1.url).get_balance(user.address()).await.unwrap();
    let fee = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(after + fee, before + U256::from(withdrawals[0].amount));

    // Anyone may claim for a recipient; the ETH goes to the recipient.
    assert!(send(
        &l1.url,
        user,
        bridge,
        claim(&withdrawals[1], 1).abi_encode(),
        U256::ZERO
    )
    .await
    .unwrap()
    .status());
    assert_eq!(
        provider(&l1.url).get_balance(fresh).await.unwrap(),
        U256::from(7)
    );

    // Refused: a second claim, a claim of more than was withdrawn, a claim before the
    // window is recorded (not finalized), and another position's path.
    let again = claim(&withdrawals[0], 0).abi_encode();
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        again,
        U256::ZERO,
        Bridge::AlreadyClaimed::SELECTOR,
    )
    .await;
    let mut more = claim(&withdrawals[2], 2);
    more.amount = alloy::primitives::Uint::from(12u64);
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        more.abi_encode(),
        U256::ZERO,
        Bridge::BadProof::SELECTOR,
    )
    .await;
    let mut early = claim(&withdrawals[2], 2);
    early.window = U256::from(2);
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        early.abi_encode(),
        U256::ZERO,
        Bridge::UnknownWindow::SELECTOR,
    )
    .await;
    let mut elsewhere = claim(&withdrawals[2], 3);
    elsewhere.position = U256::from(2);
    assert_refused(
        &l1.url,
        user.address(),
        bridge,
        elsewhere.abi_encode(),
        U256::ZERO,
        Bridge::BadProof::SELECTOR,
    )
    .await;
    let claimed = |index: u64| contract_view(&l1.url, bridge, Bridge::isClaimedCall { index });
    assert!(claimed(0).await && claimed(1).await && !claimed(2).await);
}

//! Shared helpers for the end-to-end tests: start nodes, find the installed tools, speak
//! raw JSON-RPC where a typed client would hide the error details under test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use quire_node::devnet::{dev_signers, devnet_config};
use quire_node::{NodeConfig, NodeHandle};
use serde_json::{json, Value};

/// Workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Folder the Foundry tools are installed in (`QUIRE_TOOLS_DIR`, else `.quire/tools`).
pub fn tools_dir() -> PathBuf {
    std::env::var_os("QUIRE_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".quire/tools"))
}

/// Path of a Foundry tool, installing it from npm if needed (once per test process: tests
/// run in parallel threads and must not run npm into the same folder at once).
fn tool(name: &str) -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    quire_node::tools::ensure(&tools_dir(), &[name])
        .unwrap_or_else(|e| panic!("installing {name} from npm: {e:#}"))[0]
        .clone()
}

/// Path to `cast`.
pub fn cast() -> PathBuf {
    tool("cast")
}

/// Path to `anvil`.
pub fn anvil() -> PathBuf {
    tool("anvil")
}

/// The `quire` binary built by `cargo build --release` next to the test executable.
pub fn quire_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = dir.join("quire");
    assert!(
        bin.is_file(),
        "{} missing: run scripts/test.sh (it builds the binary before testing)",
        bin.display()
    );
    bin
}

/// Devnet-style config on a free port with no metrics endpoint, in `dir`.
pub fn test_config(dir: &Path) -> NodeConfig {
    let mut cfg = devnet_config(
        dir.to_path_buf(),
        "127.0.0.1:0".parse().expect("addr"),
        None,
    )
    .expect("devnet config");
    cfg.production.block_time_ms = 50;
    // Tests that prove turn workers on themselves, and aggregation too (building its
    // circuits takes a core for tens of seconds).
    cfg.proving.workers = Some(0);
    cfg.aggregation.enabled = false;
    cfg
}

/// A circuit cache shared by the tests that aggregate: the batch circuits' verifier data
/// for every standard shape is built once per machine (tens of seconds), not per test.
pub fn shared_circuits_dir() -> PathBuf {
    std::env::temp_dir().join("quire-test-circuits")
}

/// Starts `quire node` as a separate process (one kill -9 can stop) from a config file.
pub fn spawn_node(config: &Path) -> Child {
    Command::new(quire_binary())
        .args(["node", "--no-metrics", "--config"])
        .arg(config)
        .env("QUIRE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawning quire node")
}

/// Starts `quire prover` named `name` against the node at `url`, caching circuits in
/// `circuits`; `extra` flags follow (`--poll-ms`, `--aggregate`).
pub fn spawn_prover(url: &str, token: &str, name: &str, circuits: &Path, extra: &[&str]) -> Child {
    Command::new(quire_binary())
        .args(["prover", "--node", url, "--token", token, "--name", name])
        .args(extra)
        .arg("--circuits")
        .arg(circuits)
        .env("QUIRE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawning quire prover")
}

/// Sends one transfer of `value` wei from each of the first two dev keys (at `nonce`) to
/// the addresses `0x{to}{to}…` and `0x{to+1}{to+1}…`: a batch of two with `batch_max_txs = 2`.
pub async fn send_two_transfers(url: &str, nonce: u64, to: u8, value: u64) {
    for (i, key) in keys().iter().take(2).enumerate() {
        let raw = sign(
            key,
            transfer(
                nonce,
                alloy::primitives::Address::repeat_byte(to + i as u8),
                alloy::primitives::U256::from(value),
            ),
        );
        let r = rpc(url, "eth_sendRawTransaction", json!([raw])).await;
        assert!(r["result"].is_string(), "{r}");
    }
}

/// Starts an in-process node in `dir`.
pub async fn start_node(cfg: NodeConfig) -> NodeHandle {
    NodeHandle::start(cfg).await.expect("node starts")
}

/// Development keys (10,000 ETH each at genesis).
pub fn keys() -> Vec<PrivateKeySigner> {
    dev_signers().expect("dev keys")
}

/// A key as the 0x-hex string cast takes.
pub fn key_hex(key: &PrivateKeySigner) -> String {
    format!("0x{}", alloy::hex::encode(key.to_bytes()))
}

/// Calls a view function of the contract at `to` on `url` and decodes its answer.
pub async fn contract_view<C: alloy::sol_types::SolCall>(
    url: &str,
    to: alloy::primitives::Address,
    call: C,
) -> C::Return {
    use alloy::network::TransactionBuilder;
    let out = provider(url)
        .call(
            alloy::rpc::types::TransactionRequest::default()
                .with_to(to)
                .with_input(call.abi_encode()),
        )
        .await
        .expect("view call");
    C::abi_decode_returns(&out).expect("view answer")
}

/// An alloy provider that signs with `key`.
pub fn wallet_provider(url: &str, key: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(key))
        .connect_http(url.parse().expect("url"))
        .erased()
}

/// Sends one L1 transaction from `key` and waits for its receipt (a reverted one too); an
/// error is a transaction the node refused or that never got a receipt.
pub async fn send(
    url: &str,
    key: &PrivateKeySigner,
    to: alloy::primitives::Address,
    input: Vec<u8>,
    value: alloy::primitives::U256,
) -> Result<alloy::rpc::types::TransactionReceipt, String> {
    use alloy::network::TransactionBuilder;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .with_to(to)
        .with_input(input)
        .with_value(value);
    let pending = wallet_provider(url, key.clone())
        .send_transaction(tx)
        .await
        .map_err(|e| e.to_string())?;
    pending.get_receipt().await.map_err(|e| e.to_string())
}

/// Deposits `wei` on the Bridge at `bridge` for `to` on L2, from `key`; asserts the L1
/// transaction succeeded.
pub async fn deposit(
    url: &str,
    key: &PrivateKeySigner,
    bridge: alloy::primitives::Address,
    to: alloy::primitives::Address,
    wei: u128,
) -> alloy::rpc::types::TransactionReceipt {
    use alloy::sol_types::SolCall;
    let input = quire_contracts::bridge::Bridge::depositCall { l2Recipient: to }.abi_encode();
    let r = send(url, key, bridge, input, alloy::primitives::U256::from(wei))
        .await
        .expect("the deposit is sent");
    assert!(r.status(), "the deposit reverted");
    r
}

/// The L2 node's balance of `who` at its head, in wei (0 when it answers none).
pub async fn l2_balance(url: &str, who: alloy::primitives::Address) -> u128 {
    let r = rpc(url, "eth_getBalance", json!([who, "latest"])).await;
    let hex = r["result"].as_str().unwrap_or("0x0");
    u128::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap_or(0)
}

/// A read-only alloy provider.
pub fn provider(url: &str) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(url.parse().expect("url"))
        .erased()
}

/// POSTs a JSON body (a call or a batch); returns the parsed response.
pub async fn post_json(url: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json response")
}

/// Raw JSON-RPC call; returns the whole response object.
pub async fn rpc(url: &str, method: &str, params: Value) -> Value {
    post_json(
        url,
        &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .await
}

/// A JSON-RPC batch calling `method` with `params(i)` for ids `0..n`.
pub fn batch_of(n: u64, method: &str, params: impl Fn(u64) -> Value) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": method, "params": params(i)}))
            .collect(),
    )
}

/// True if something answers JSON-RPC at `url` (at the transport level).
pub async fn answers(url: &str) -> bool {
    reqwest::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
        .send()
        .await
        .is_ok()
}

/// Waits until a node answers at `url`.
pub async fn wait_answering(url: &str, timeout: Duration) {
    wait_for(timeout, || async { answers(url).await.then_some(()) })
        .await
        .unwrap_or_else(|_| panic!("nothing answers at {url}"));
}

/// Runs cast with `args`; returns stdout, failing with stderr on error.
pub fn run_cast(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(cast())
        .args(args)
        .output()
        .context("running cast")?;
    if !out.status.success() {
        bail!(
            "cast {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `hash` has a receipt; returns it as JSON.
pub async fn wait_receipt(url: &str, hash: &str) -> Value {
    wait_for(Duration::from_secs(20), || async {
        let r = rpc(url, "eth_getTransactionReceipt", json!([hash])).await;
        (!r["result"].is_null()).then(|| r["result"].clone())
    })
    .await
    .unwrap_or_else(|_| panic!("no receipt for {hash}"))
}

/// `status` of batch `n` from `quire_getBatchByNumber`.
pub async fn batch_status(url: &str, n: u64) -> Value {
    rpc(url, "quire_getBatchByNumber", json!([format!("0x{n:x}")])).await["result"]["status"]
        .clone()
}

/// Waits until batch `n` has status `want`.
pub async fn wait_batch_status(url: &str, n: u64, want: &str, timeout: Duration) {
    wait_batch_status_in(url, n, &[want], timeout).await
}

/// Waits until batch `n` has one of the statuses `want` (a batch may pass through
/// `proven` to `aggregated` between two looks).
pub async fn wait_batch_status_in(url: &str, n: u64, want: &[&str], timeout: Duration) {
    if wait_for(timeout, || async {
        let status = batch_status(url, n).await;
        want.iter().any(|w| status == *w).then_some(())
    })
    .await
    .is_err()
    {
        panic!(
            "batch {n} never became {want:?} (is {})",
            batch_status(url, n).await
        );
    }
}

/// Balance via raw RPC.
pub async fn balance(url: &str, address: alloy::primitives::Address) -> alloy::primitives::U256 {
    provider(url).get_balance(address).await.expect("balance")
}

/// Chain id of the devnet-style test chains.
pub const CHAIN_ID: u64 = quire_node::devnet::DEVNET_CHAIN_ID;

/// An EIP-1559 transfer on the test chain (2 gwei fee cap, 1 wei tip), for tests to adjust.
pub fn transfer(
    nonce: u64,
    to: alloy::primitives::Address,
    value: alloy::primitives::U256,
) -> alloy::consensus::TxEip1559 {
    quire_test_support::transfer(CHAIN_ID, nonce, to, value, 2_000_000_000, 1)
}

/// `tx` signed by `signer`, as the 0x-hex a wallet passes to `eth_sendRawTransaction`.
pub fn sign(signer: &PrivateKeySigner, tx: alloy::consensus::TxEip1559) -> String {
    quire_test_support::sign_hex(signer, tx)
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Taken by every test that lets a node aggregate, for its whole run: a final wrap proof
/// needs ~13 GB (FRI rate 2^-9 on 2^13 rows), and two at once in one test binary do not
/// fit a 24 GB test machine (test binaries themselves run one after another).
pub async fn one_aggregating_test_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A real anvil L1 (Prague rules, so EIP-7623 calldata pricing), killed on drop.
pub struct AnvilL1 {
    child: Child,
    /// Its JSON-RPC address.
    pub url: String,
}

impl AnvilL1 {
    /// Starts anvil on a free port and waits until it answers.
    pub async fn start() -> Self {
        let port = free_port();
        let child = Command::new(anvil())
            .args([
                "--port",
                &port.to_string(),
                "--hardfork",
                "prague",
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting anvil");
        let l1 = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_answering(&l1.url, Duration::from_secs(30)).await;
        l1
    }
}

impl Drop for AnvilL1 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Proves job `id` from the coordinator's own inputs, as an in-process worker would: a
/// valid output to hand in (or to tamper with) in tests.
pub fn prove_job(
    coordinator: &quire_coordinator::Coordinator,
    id: quire_coordinator::JobId,
) -> quire_coordinator::JobOutput {
    let job = quire_coordinator::Job {
        id,
        input: coordinator.inputs(&id).unwrap(),
    };
    quire_coordinator::JobRunner::new(coordinator.cache().clone(), coordinator.circuits_cell())
        .run(&job, "test")
        .unwrap()
}

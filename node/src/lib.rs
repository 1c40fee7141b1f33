//! The `quire` binary's library half: configuration, node wiring, the devnet, the remote
//! prover command, the proof tools (`prove-batch`, `verify`), and the Ethereum tools it
//! installs. Tests start nodes through [`NodeHandle`].

pub mod config;
pub mod deposits;
pub mod devnet;
pub mod l1;
pub mod node;
pub mod prove;
pub mod reconstruct;
pub mod remote_prover;
pub mod settle;
pub mod signals;
pub mod tools;
pub mod verify;
pub mod wallet;

pub use config::NodeConfig;
pub use node::NodeHandle;

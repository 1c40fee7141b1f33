//! Mapping internal errors to JSON-RPC error objects with the codes clients expect.

use jsonrpsee::types::ErrorObjectOwned;
use quire_sequencer::storage::StoreError;
use quire_sequencer::TxError;

/// geth's code for transaction and execution errors ("nonce too low", ...).
pub const SERVER_ERROR: i32 = -32000;
/// JSON-RPC invalid params.
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC internal error.
pub const INTERNAL: i32 = -32603;

pub fn tx_error(e: TxError) -> ErrorObjectOwned {
    let code = match e {
        TxError::Unavailable(_) => INTERNAL,
        _ => SERVER_ERROR,
    };
    ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
}

pub fn store_error(e: StoreError) -> ErrorObjectOwned {
    tracing::error!(error = %e, "storage error while serving RPC");
    ErrorObjectOwned::owned(INTERNAL, format!("internal error: {e}"), None::<()>)
}

pub fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

pub fn server_error(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR, msg.into(), None::<()>)
}

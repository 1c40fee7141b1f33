#!/usr/bin/env python3
# Rule-deletion check of the soundness tests (prover/SOUNDNESS_CHECKS.md).
# usage: scripts/rule-deletion.py RULE  -- deletes one circuit rule, runs the tests aimed
# at it (each must now FAIL: the cheat proves), restores the file. Results append to
# $TMPDIR/rule-deletion/results.txt.
import sys, subprocess, os, tempfile
W=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT=os.path.join(tempfile.gettempdir(),'rule-deletion')
os.makedirs(OUT,exist_ok=True)
RULES={
 'R1':('prover/src/circuit/batch.rs',"        b.connect(fee_times_inv, one);\n","",
       'prover',['a_zero_base_fee_is_rejected']),
 'R2':('prover/src/circuit/slot.rs',"    assert_hash_eq_if(b, active, r_old2, root1);\n","",
       'prover',['a_receiver_leaf_that_is_not_in_the_tree_is_rejected','a_wrong_sibling_is_rejected']),
 'R3':('prover/src/circuit/slot.rs',"let brackets = b.and(below, above_or_last);","let brackets = above_or_last;",
       'prover',['an_insert_with_a_predecessor_that_does_not_bracket_it_is_rejected','creating_an_account_that_exists_is_rejected','the_fee_recipient_is_created_when_missing_and_only_then']),
 'R4':('prover/src/circuit/slot.rs',"let brackets = b.and(below, above_or_last);","let brackets = below;",
       'prover',['an_insert_with_a_predecessor_that_does_not_bracket_it_is_rejected','creating_an_account_that_exists_is_rejected','the_fee_recipient_is_created_when_missing_and_only_then']),
 'R5':('prover/src/circuit/slot.rs',"        b.connect(old.key[i], ctx.fee_recipient[i]);\n","",
       'prover',['fees_credited_to_another_account_are_rejected','the_fee_recipient_is_created_when_missing_and_only_then']),
 'R6':('prover/src/circuit/slot.rs',"let gross2 = u96::add3(b, old2.balance, flushed2, debit);","let gross2 = u96::add(b, old2.balance, flushed2);",
       'prover',['crediting_the_wrong_amount_is_rejected']),
 'R7':('prover/src/circuit/slot.rs',"nonce: b.add(old1.nonce, s.is_tx.target),","nonce: old1.nonce,",
       'prover',['repeated_nonce_is_rejected']),
 'R8':('prover/src/circuit/slot.rs',"    assert_zero_if(b, s.is_tx, old1.nonce, tx.nonce);\n","",
       'prover',['repeated_nonce_is_rejected','skipped_nonce_is_rejected']),
 'R9':('prover/src/circuit/slot.rs',"        balance: u96::add(b, old.balance, regs.pending),\n        ..old","        ..old",
       'prover',['withheld_fees_cannot_be_proven']),
 'R10':('prover/src/circuit/slot.rs',"    b.connect_hashes(r_old, regs.root);\n    for i in 0..3","    for i in 0..3",
       'prover',['withheld_fees_cannot_be_proven']),
 'R11':('prover/src/circuit/slot.rs',"    assert_hash_eq_if(b, active, r_old1, regs.root);\n","",
       'prover',['a_leaf_that_is_not_in_the_tree_is_rejected']),
 'A1':('aggregator/src/fold.rs',"        b.connect(next, r[0]);\n","",
       'agg',['batches_that_are_not_consecutive_or_do_not_chain_do_not_fold']),
 'A2':('aggregator/src/child.rs',"            assert_zero_if(b, self.is_fold, elements[k], fold[k]);\n            assert_zero_if(b, self.is_fold, passed_on[k], fold[k]);\n","",
       'agg',['tampered_or_foreign_proofs_do_not_fold']),
 'A3':('aggregator/src/aggregator.rs',"""                check_cyclic_proof_verifier_data(
                    &a.proof,
                    &self.fold.data.verifier_only,
                    &self.fold.data.common,
                )
                .context("fold proof was made against other verifier data")?;
""","",'agg',['tampered_or_foreign_proofs_do_not_fold']),

 # Signatures (issue 11): the ECDSA table's ties, the RLP rule, the bind circuit.
 'S1':('prover/src/signature/secp256k1/ecdsa.rs',"        yc.constraint(last * (lv[r_x + l] - lv[scalar_limb(SCALAR_R, l)]));\n","",
       'lib',['signature::secp256k1::ecdsa::tests::a_nonce_point_whose_x_is_not_r_is_refused']),
 # Each bound and each register tie deleted for one scalar at a time (issue 33).
 'S2s':('prover/src/signature/secp256k1/ecdsa.rs',"            yc.constraint(last * sum);\n","            if k != 0 { yc.constraint(last * sum); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::high_s_is_refused']),
 'S2r':('prover/src/signature/secp256k1/ecdsa.rs',"            yc.constraint(last * sum);\n","            if k != 1 { yc.constraint(last * sum); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::r_at_or_above_the_order_is_refused']),
 'S3s':('prover/src/signature/secp256k1/ecdsa.rs',"        yc.constraint(last * (lv[inverse(k)] * limb_sum - one));\n","        if k != 0 { yc.constraint(last * (lv[inverse(k)] * limb_sum - one)); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::s_zero_is_refused']),
 'S4z':('prover/src/signature/secp256k1/ecdsa.rs',"        yc.constraint(end * (g - lv[register(j, LIMBS - 1)]));\n","        if j != SCALAR_Z { yc.constraint(end * (g - lv[register(j, LIMBS - 1)])); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::an_exported_hash_other_than_the_multiplied_one_is_refused']),
 'S4s':('prover/src/signature/secp256k1/ecdsa.rs',"        yc.constraint(end * (g - lv[register(j, LIMBS - 1)]));\n","        if j != SCALAR_S { yc.constraint(end * (g - lv[register(j, LIMBS - 1)])); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::a_checked_s_other_than_the_multiplied_one_is_refused']),
 'S4r':('prover/src/signature/secp256k1/ecdsa.rs',"        yc.constraint(end * (g - lv[register(j, LIMBS - 1)]));\n","        if j != SCALAR_R { yc.constraint(end * (g - lv[register(j, LIMBS - 1)])); }\n",
       'lib',['signature::secp256k1::ecdsa::tests::a_checked_r_other_than_the_multiplied_one_is_refused']),
 'S7':('prover/src/signature/secp256k1/ecdsa.rs',"        .chain(BOUNDS_AT..BOUNDS_AT + 2 * LIMBS)\n","",
       'lib',['signature::secp256k1::ecdsa::routing_tests::difference_limbs_out_of_range_fail_the_table_proof']),
 'S5':('prover/src/signature/secp256k1/msm.rs',"            yc.constraint(last * (lv[layout.out() + i] - constant(z[i])));\n","",
       'lib',['signature::secp256k1::ecdsa::tests::a_wrong_signature_another_key_or_another_hash_is_refused']),
 'S6':('prover/src/signature/circuit/entry.rs',"        b.connect_extension(padded, block);\n","",
       'lib',['signature::circuit::entry::tests::a_block_that_is_not_the_payload_of_the_fields_is_refused']),
 # A key coordinate below p (issue 33): each case's condition.
 'K1':('prover/src/signature/circuit/key_canonical.rs',"        b.assert_zero(t);\n","",'lib',['signature::circuit::key_canonical::tests::coordinates_below_p_are_accepted_and_the_rest_refused']),
 'K2':('prover/src/signature/circuit/key_canonical.rs',"        b.range_check(middle_slack, 32);\n","",'lib',['signature::circuit::key_canonical::tests::coordinates_below_p_are_accepted_and_the_rest_refused']),
 'K3':('prover/src/signature/circuit/key_canonical.rs',"        b.assert_zero(off);\n","",'lib',['signature::circuit::key_canonical::tests::coordinates_below_p_are_accepted_and_the_rest_refused']),
 'K4':('prover/src/signature/circuit/key_canonical.rs',"        b.range_check(low_slack, 32);\n","",'lib',['signature::circuit::key_canonical::tests::coordinates_below_p_are_accepted_and_the_rest_refused']),
 # The chain id (issue 33): folds of one chain, the wrap's range check of the packing.
 'C1':('aggregator/src/fold.rs',"        b.connect(l[CHAIN_ID_AT], r[CHAIN_ID_AT]);\n","",
       'agg',['a_batch_binds_only_to_a_signature_proof_of_its_transfers']),
 'W1':('aggregator/src/wrap.rs',"                    b.range_check(pi[low], 32);\n","",
       'agg',['the_final_wrap_keeps_the_public_inputs_and_refuses_forgeries']),
 'B1':('aggregator/src/bind.rs',"            b.connect(bp[AGGREGATE_INPUTS + i], sp[i]);\n","",
       'agg',['a_batch_binds_only_to_a_signature_proof_of_its_transfers']),
 'B2':('aggregator/src/bind.rs',"        b.connect(bp[16], sp[4]);\n","",
       'agg',['a_batch_binds_only_to_a_signature_proof_of_its_transfers']),
 'B3':('aggregator/src/bind.rs',"            constrain_member(b, always, h, c.index, table);\n","",
       'agg',['a_batch_binds_only_to_a_signature_proof_of_its_transfers']),

 # The bridge (issue 13): deposits and withdrawals in the signature proof, their binding
 # to the batch and their chaining across batches.
 'D1':('prover/src/signature/circuit/bridge.rs',"        b.connect(encoded, index);\n","",
       'sig',['the_signature_circuit_proves_deposits_and_withdrawals_and_refuses_forgeries']),
 'D2':('prover/src/signature/circuit/entry.rs',"        b.assert_zero(zero_if_withdrawal);\n","",
       'sig',['the_signature_circuit_proves_deposits_and_withdrawals_and_refuses_forgeries']),
 'D3':('prover/src/signature/circuit/entry.rs',"        b.assert_zero(inverted);\n","",
       'sig',['the_signature_circuit_proves_deposits_and_withdrawals_and_refuses_forgeries']),
 'B4':('aggregator/src/bind.rs',"            b.connect(bp[AGGREGATE_INPUTS + i], sp[2 + i]);\n","",
       'agg',['a_batch_binds_only_to_a_signature_proof_of_its_transfers']),
 'F1':('aggregator/src/fold.rs',"            b.connect(l[23 + i], r[19 + i]);\n","",
       'agg',['batches_that_are_not_consecutive_or_do_not_chain_do_not_fold']),
 'F2':('aggregator/src/fold.rs',"            b.connect(l[31 + i], r[27 + i]);\n","",
       'agg',['batches_that_are_not_consecutive_or_do_not_chain_do_not_fold']),
}
r=sys.argv[1]
path,old,new,crate,tests=RULES[r]
p=os.path.join(W,path)
src=open(p).read()
assert src.count(old)==1,(r,'pattern count',src.count(old))
open(p,'w').write(src.replace(old,new))
env=dict(os.environ)
env.setdefault('CARGO_TARGET_DIR',os.path.expanduser('~/.cache/quire/target'))
try:
    for t in tests:
        if crate=='prover':
            cmd=['cargo','test','--release','-p','quire-prover','--test','proofs','--','soundness::'+t,'--exact']
        elif crate=='lib':
            cmd=['cargo','test','--release','-p','quire-prover','--lib','--',t,'--exact']
        elif crate=='sig':
            cmd=['cargo','test','--release','-p','quire-prover','--test','proofs','--','signature_proof::'+t,'--exact']
        else:
            cmd=['cargo','test','--release','-p','quire-aggregator','--test','aggregation','--','aggregate::'+t,'--exact']
        res=subprocess.run(cmd,cwd=W,env=env,capture_output=True,text=True)
        out=res.stdout+res.stderr
        ok='test result: ok' in out
        fail='test result: FAILED' in out
        status='PASSES (not isolated)' if ok else ('FAILS as required' if fail else 'BUILD/OTHER ERROR')
        line=f"{r} | {path} | {t} | {status}"
        print(line, flush=True)
        open(os.path.join(OUT,'results.txt'),'a').write(line+"\n")
        open(os.path.join(OUT,f'{r}-{t}.log'),'w').write(out)
finally:
    open(p,'w').write(src)
    subprocess.run(['git','-C',W,'diff','--stat',path])

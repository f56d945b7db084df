; leasecheck all-sizes certificate: single_binding, nt40, D=1, L=0, R=0, every number of clients and addresses
; claim: single_binding holds for every number of clients and addresses: for every client c and addresses a1, a2 (all different): not (db[a1] is OFFERED(c) or BOUND(c), and db[a2] is OFFERED(c) or BOUND(c))
; rule: an inductive invariant Inv: it holds initially, every step of the first-order model keeps it
;   (and the state well formed), it implies the property and each first() of the model has one choice.
; Check it with: leasecheck certificate check FILE (the checker traces the model again and writes
;   every obligation itself; this file supplies only the proof's definitions).
(set-info :leasecheck-certificate |{"format": 2, "kind": "all-sizes", "config": {"variant": "nt40", "deletes": 1, "losses": 0, "reboots": 0, "restart": false, "client_nak": "obey", "client_reboot": "keep-on-silence"}, "any_budget": false, "property": "single_binding", "rule": "invariant", "model": "sha256:2aa44781f6d9142dd64a59dbe7e40d29b49845e0004d436f2bd1c180b7a4cdc3"}|)
(set-info :smt-lib-version 2.6)
(set-logic ALL)
; The sorts client and address have any number of elements. The state's symbols:
;   st : client -> one of st=INIT, st=SELECTING, st=REQUESTING, st=BOUND, st=RENEWING, st=REBINDING, st=REBOOTING
;   addr : client -> one of addr=none, addr=address
;   addr.value : client -> address (the address a value of addr carries)
;   err : client -> one of err=0, err=1
;   to_srv : client -> one of to_srv=none, to_srv=DISCOVER, to_srv=REQUEST.SELECTING._, to_srv=REQUEST.RENEWING._, to_srv=REQUEST.REBINDING._, to_srv=REQUEST.REBOOTING._, to_srv=RELEASE._
;   to_srv.addr : client -> address (the address a value of to_srv carries)
;   to_cli : client -> one of to_cli=none, to_cli=OFFER._, to_cli=ACK._, to_cli=NAK
;   to_cli.addr : client -> address (the address a value of to_cli carries)
;   db : address -> one of db=FREE, db=OFFERED._, db=BOUND._
;   db.client : address client -> Bool (the client a value of db carries)
;   mem : client -> one of mem=none, mem=address
;   mem.value : client -> address (the address a value of mem carries)
;   deletes_left -> one of deletes_left=0, deletes_left=1
;   losses_left -> one of losses_left=0
;   reboots_left -> one of reboots_left=0
; Inv: 1 conjuncts
(define-fun Inv () Bool (and
  (forall ((c client) (a1 address) (a2 address)) (or (= a1 a2) (not (and (or (and (= (db a1) db=OFFERED._) (db.client a1 c)) (and (= (db a1) db=BOUND._) (db.client a1 c))) (or (and (= (db a2) db=OFFERED._) (db.client a2 c)) (and (= (db a2) db=BOUND._) (db.client a2 c)))))))
))

#!/usr/bin/env bash
# PostgreSQL CPU of the writer's DM tables, per table shape. Each variant: a fresh database with sql/V1..V11 plus the
# variant's DDL, then one psql session COPYs the batches of gen.py (binary, like BatchStatements: per batch
# message_queue, audit_log, message_delivery, in one transaction, committed with fsync on). Prints the backend's CPU
# (its /proc/self/stat), the whole server's CPU (postmaster + children, reaped ones included: autovacuum, WAL
# writer, ...) and the wall time, in µs per DM, and the WAL written per DM.
# Usage: [UPTO=11] PORT=55915 DATA=/tmp/i15pg/data-text BDATA=/tmp/i15pg/data-bytea run.sh VARIANT... (from the repo root)
set -eu
PORT=${PORT:-55915}; DATA=${DATA:-/tmp/i15pg/data-text}; BDATA=${BDATA:-/tmp/i15pg/data-bytea}
UPTO=${UPTO:-11}                                 # the variants' DDL starts from V11 (base: as before V12)
PSQL=(psql -h localhost -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
PM=$("${PSQL[@]}" -d postgres -c "select pid from pg_stat_activity where backend_type='checkpointer'" | head -1)
PM=$(awk '{print $4}' /proc/$PM/stat)            # the postmaster: the checkpointer's parent
tck=$(getconf CLK_TCK)
server_ticks() { # postmaster's own + reaped children's ticks + live children's ticks
  local t; t=$(awk '{print $14+$15+$16+$17}' /proc/$PM/stat)
  for c in $(cat /proc/$PM/task/*/children); do t=$((t + $(awk '{print $14+$15}' /proc/$c/stat 2>/dev/null || echo 0))); done
  echo $t
}
ddl() { # VARIANT: DDL on top of V11
  case $1 in
    base|nextval-free|bytea) ;;
    audit1|audit1-nextval-free)
      echo "ALTER TABLE mesh.audit_log DROP CONSTRAINT audit_log_pk; DROP INDEX mesh.audit_log_mesh_id_idx;
            ALTER TABLE mesh.audit_log ADD CONSTRAINT audit_log_pk PRIMARY KEY (mesh_id, id);" ;;
    audit1-ff100) echo "ALTER TABLE mesh.audit_log DROP CONSTRAINT audit_log_pk; DROP INDEX mesh.audit_log_mesh_id_idx;
            ALTER TABLE mesh.audit_log ADD CONSTRAINT audit_log_pk PRIMARY KEY (mesh_id, id) WITH (fillfactor = 100);
            ALTER INDEX mesh.message_queue_pk SET (fillfactor = 100); ALTER INDEX mesh.message_delivery_id_idx SET (fillfactor = 100);" ;;
    audit0) echo "ALTER TABLE mesh.audit_log DROP CONSTRAINT audit_log_pk; DROP INDEX mesh.audit_log_mesh_id_idx;" ;;
    noav) echo "ALTER TABLE mesh.audit_log SET (autovacuum_enabled = off); ALTER TABLE mesh.message_queue SET (autovacuum_enabled = off);
            ALTER TABLE mesh.message_delivery SET (autovacuum_enabled = off);" ;;
    bytea) ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
  if [[ $1 == bytea ]]; then
    echo "DROP VIEW mesh.message_queue_status; DROP INDEX mesh.message_queue_undelivered_idx;
          ALTER TABLE mesh.message_queue ALTER sender_member_pubkey TYPE bytea USING decode(sender_member_pubkey, 'hex'),
            ALTER sender_pubkey TYPE bytea USING decode(sender_pubkey, 'hex'), ALTER target_key TYPE bytea USING decode(target_key, 'hex');
          CREATE INDEX message_queue_undelivered_idx ON mesh.message_queue (mesh_id, target_key, created_at) WHERE delivered_at IS NULL;"
  fi
}
for v in "$@"; do
  db=b_${v//-/_}; dir=$DATA; [[ $v == bytea ]] && dir=$BDATA
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  for f in sql/V*.sql; do v=${f#sql/V}; (( ${v%%__*} <= UPTO )) && echo "$f"; done | sort -t V -k2 -n |
    while read -r f; do "${PSQL[@]}" -d $db -f "$f"; done
  "${PSQL[@]}" -d $db -c "$(ddl "$v")"
  script=/tmp/i15pg/$db.sql; : > "$script"
  ids=""; audits=n; if [[ $v == *nextval-free* ]]; then ids="id, "; audits=a; fi
  n=0
  for q in "$dir"/q*.bin; do
    b=${q##*/q}; b=${b%.bin}; n=$((n + 1))
    cat >> "$script" <<SQL
BEGIN;
COPY mesh.message_queue (id, mesh_id, sender_member_id, sender_member_pubkey, sender_pubkey, sender_name, target_key, priority, nonce, ciphertext, client_message_id, request_fingerprint, subtype, created_at, expires_at, delivered_at) FROM '$dir/q$b.bin' (FORMAT binary);
COPY mesh.audit_log (${ids}mesh_id, event_type, actor_id, payload_canonical, created_at, prev_hash, hash) FROM '$dir/$audits$b.bin' (FORMAT binary);
COPY mesh.message_delivery (id, mesh_id, delivered_at) FROM '$dir/d$b.bin' (FORMAT binary);
COMMIT;
SQL
  done
  echo "select (string_to_array(pg_read_file('/proc/self/stat'), ' '))[14]::int + (string_to_array(pg_read_file('/proc/self/stat'), ' '))[15]::int;" >> "$script"
  "${PSQL[@]}" -d $db -c CHECKPOINT
  lsn0=$("${PSQL[@]}" -d $db -c "select pg_current_wal_lsn()"); before=$(server_ticks); t0=$(date +%s.%N)
  backend=$("${PSQL[@]}" -d $db -f "$script")
  t1=$(date +%s.%N); sleep 3; after=$(server_ticks)
  wal=$("${PSQL[@]}" -d $db -c "select pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')")
  rows=$("${PSQL[@]}" -d $db -c "select count(*) from mesh.message_queue")
  size=$("${PSQL[@]}" -d $db -c "select pg_size_pretty(pg_total_relation_size('mesh.audit_log')) || ' audit, ' || pg_size_pretty(pg_total_relation_size('mesh.message_queue')) || ' queue'")
  awk -v v="$v" -v r="$rows" -v b="$backend" -v s="$((after - before))" -v t0="$t0" -v t1="$t1" -v hz="$tck" -v sz="$size" -v wal="$wal" \
    'BEGIN { printf "%-22s rows=%d backend_us_per_dm=%.2f server_us_per_dm=%.2f wall_us_per_dm=%.2f wal_bytes_per_dm=%.0f (%s)\n", v, r, b/hz*1e6/r, s/hz*1e6/r, (t1-t0)*1e6/r, wal/r, sz }'
done

package io.atlas.log.tck.crash;

import io.atlas.log.Checkpoint;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.SeqNo;
import io.atlas.log.tck.crash.CrashEvent.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a crash child does to its log until it is killed: a seeded random mix of single, batched and
 * async decisions, a checkpoint every 10 to 60 decisions followed mostly by a compaction below it,
 * {@code truncateFrom} of a short uncommitted suffix, configuration and metadata updates and explicit
 * syncs. It continues from whatever the log holds, so one log can live through many crashes.
 * Every operation is announced with a TRY line before it starts and confirmed with an ACK line after
 * it returned.
 */
final class Workload {

    /** The metadata keys the workload writes (and a snapshot reads). */
    static final List<String> META_KEYS = List.of("view", "vote", "epoch.1");

    /** Which operations run. */
    enum Mix {
        /** Every operation kind. */
        MIXED,
        /** Only single {@code storeDecision} calls: nothing that syncs (for the power-loss control). */
        DECISIONS
    }

    private final PersistentLog<byte[], byte[], byte[]> log;
    private final ProtocolOut out;
    private final long seed;
    private final int life;
    private final Mix mix;
    private final SplittableRandom random;
    private final List<CompletableFuture<SeqNo>> pending = new ArrayList<>();
    private long last;
    private long lastCheckpoint;
    private int counter;
    private int sinceCheckpoint;
    private int checkpointEvery;

    Workload(PersistentLog<byte[], byte[], byte[]> log, ProtocolOut out, long seed, int life, Mix mix) {
        this.log = log;
        this.out = out;
        this.seed = seed;
        this.life = life;
        this.mix = mix;
        this.random = new SplittableRandom(Payloads.mix(seed, life, 0x574f524bL));
        Optional<Checkpoint<byte[]>> checkpoint = log.retrieveLastCheckpoint();
        this.lastCheckpoint = checkpoint.map(c -> c.seqNo().value()).orElse(-1L);
        // an empty log continues above its checkpoint (everything below may be compacted), else at 1
        this.last = log.lastSeqNo().map(SeqNo::value).orElse(Math.max(0, lastCheckpoint));
        this.checkpointEvery = 10 + random.nextInt(51);
    }

    /** Runs {@code maxOps} operations or until {@code deadlineNanos} ({@link System#nanoTime()}). */
    void run(int maxOps, long deadlineNanos) throws InterruptedException, ExecutionException, TimeoutException {
        for (int op = 0; op < maxOps && System.nanoTime() - deadlineNanos < 0; op++) {
            pending.removeIf(CompletableFuture::isDone);
            if (mix == Mix.DECISIONS) {
                storeOne();
                continue;
            }
            if (sinceCheckpoint >= checkpointEvery && last >= 1 && last > lastCheckpoint) {
                checkpoint();
                continue;
            }
            double r = random.nextDouble();
            if (r < 0.02) {
                configuration();
            } else if (r < 0.06) {
                metadata();
            } else if (r < 0.09) {
                sync();
            } else if (r < 0.12) {
                truncate();
            } else if (r < 0.73) {
                storeOne();
            } else if (r < 0.87) {
                storeBatch();
            } else {
                storeAsync();
            }
        }
        drainAsync();
    }

    private long nextId() {
        return ((long) life << 32) | ++counter;
    }

    private Decision<byte[]> nextDecision(long seq) {
        long id = nextId();
        Decision<byte[]> d = Payloads.decision(seed, seq, id);
        out.emit(CrashEvent.tryOp(Op.DECISION, seq, id, null, Payloads.crc(d)));
        return d;
    }

    private void stored(Decision<byte[]> d) {
        last = d.seqNo().value();
        sinceCheckpoint++;
    }

    private void storeOne() {
        Decision<byte[]> d = nextDecision(last + 1);
        log.storeDecision(d);
        out.emit(CrashEvent.ack(Op.DECISION, d.seqNo().value(), d.view(), null, false));
        stored(d);
    }

    private void storeBatch() {
        int n = 2 + random.nextInt(7);
        List<Decision<byte[]>> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(nextDecision(last + 1 + i));
        }
        log.storeDecisions(batch);
        for (Decision<byte[]> d : batch) {
            out.emit(CrashEvent.ack(Op.DECISION, d.seqNo().value(), d.view(), null, false));
            stored(d);
        }
    }

    private void storeAsync() {
        Decision<byte[]> d = nextDecision(last + 1);
        CompletableFuture<SeqNo> f = log.storeDecisionAsync(d);
        f.whenComplete((seq, failure) -> out.emit(failure == null
                ? CrashEvent.ack(Op.DECISION, d.seqNo().value(), d.view(), null, true)
                : CrashEvent.error("async store of decision " + d.seqNo().value() + " failed: " + failure)));
        pending.add(f);
        stored(d);
    }

    private void sync() {
        out.emit(CrashEvent.tryOp(Op.SYNC, -1, -1, null, -1));
        log.sync();
        out.emit(CrashEvent.ack(Op.SYNC, -1, -1, null, false));
    }

    /** Waits for every async store, so that checkpoints and truncations never race with one. */
    private void drainAsync() throws InterruptedException, ExecutionException, TimeoutException {
        pending.removeIf(CompletableFuture::isDone);
        if (pending.isEmpty()) {
            return;
        }
        sync();
        for (CompletableFuture<SeqNo> f : pending) {
            f.get(60, TimeUnit.SECONDS);
        }
        pending.clear();
    }

    private void checkpoint() throws InterruptedException, ExecutionException, TimeoutException {
        drainAsync();
        long seq = last;
        long id = nextId();
        byte[] state = Payloads.checkpoint(seed, seq, id);
        out.emit(CrashEvent.tryOp(Op.CHECKPOINT, seq, id, null, Payloads.crc(state)));
        log.storeCheckpoint(SeqNo.of(seq), state);
        out.emit(CrashEvent.ack(Op.CHECKPOINT, seq, id, null, false));
        lastCheckpoint = seq;
        sinceCheckpoint = 0;
        checkpointEvery = 10 + random.nextInt(51);
        if (random.nextInt(4) != 0) {
            long upTo = seq - random.nextInt(16);
            if (upTo >= 1) {
                out.emit(CrashEvent.tryOp(Op.COMPACT, upTo, -1, null, -1));
                log.compactLogUpTo(SeqNo.of(upTo));
                out.emit(CrashEvent.ack(Op.COMPACT, upTo, -1, null, false));
            }
        }
    }

    private void truncate() throws InterruptedException, ExecutionException, TimeoutException {
        Optional<SeqNo> first = log.firstSeqNo();
        if (first.isEmpty()) {
            return;
        }
        long lowest = Math.max(lastCheckpoint + 1, first.get().value());
        if (last < lowest) {
            return;
        }
        long from = last - random.nextInt((int) Math.min(10, last - lowest + 1));
        drainAsync();
        out.emit(CrashEvent.tryOp(Op.TRUNCATE, from, -1, null, -1));
        log.truncateFrom(SeqNo.of(from));
        out.emit(CrashEvent.ack(Op.TRUNCATE, from, -1, null, false));
        last = from - 1;
    }

    private void configuration() {
        long id = nextId();
        byte[] value = Payloads.configuration(seed, id);
        out.emit(CrashEvent.tryOp(Op.CONFIG, -1, id, null, Payloads.crc(value)));
        log.storeConfiguration(value);
        out.emit(CrashEvent.ack(Op.CONFIG, -1, id, null, false));
    }

    private void metadata() {
        String key = META_KEYS.get(random.nextInt(META_KEYS.size()));
        long id = nextId();
        byte[] value = Payloads.metadata(seed, key, id);
        out.emit(CrashEvent.tryOp(Op.META, -1, id, key, Payloads.crc(value)));
        log.storeMetadata(key, value);
        out.emit(CrashEvent.ack(Op.META, -1, id, key, false));
    }
}

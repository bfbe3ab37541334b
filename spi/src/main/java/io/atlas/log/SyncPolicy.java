package io.atlas.log;

import java.time.Duration;

/**
 * When the log forces stored decisions to stable storage.
 *
 * <ul>
 *   <li>{@link #everyWrite()} (the default): every store returns, and every future completes,
 *       only after the decision is durable. Concurrent stores share one sync (group commit).</li>
 *   <li>{@link #periodic(Duration)}: stores return once written; a background thread syncs every
 *       {@code interval}; futures of {@code storeDecisionAsync} complete after that sync.
 *       A power loss may lose up to one interval of acknowledged-by-return decisions.</li>
 *   <li>{@link #none()}: the log never syncs decisions on its own, only on {@link PersistentLog#sync()}
 *       and {@link PersistentLog#close()}. For tests and for replicas that rely on peers.</li>
 * </ul>
 * Checkpoints, configuration and metadata are durable on return under every policy.
 */
public sealed interface SyncPolicy permits SyncPolicy.EveryWrite, SyncPolicy.Periodic, SyncPolicy.None {

    /** Sync before acknowledging each store. */
    static SyncPolicy everyWrite() {
        return EveryWrite.INSTANCE;
    }

    /**
     * Sync in the background every {@code interval}.
     *
     * @throws IllegalArgumentException if {@code interval} is null, zero or negative
     */
    static SyncPolicy periodic(Duration interval) {
        return new Periodic(interval);
    }

    /** Never sync on its own. */
    static SyncPolicy none() {
        return None.INSTANCE;
    }

    /** See {@link SyncPolicy#everyWrite()}. */
    enum EveryWrite implements SyncPolicy {
        INSTANCE;

        @Override
        public String toString() {
            return "every-write";
        }
    }

    /** See {@link SyncPolicy#periodic(Duration)}. */
    record Periodic(Duration interval) implements SyncPolicy {
        public Periodic {
            if (interval == null || interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("periodic sync interval must be a positive duration, got " + interval);
            }
        }

        @Override
        public String toString() {
            return "periodic:" + ConfigValues.formatDuration(interval);
        }
    }

    /** See {@link SyncPolicy#none()}. */
    enum None implements SyncPolicy {
        INSTANCE;

        @Override
        public String toString() {
            return "none";
        }
    }
}

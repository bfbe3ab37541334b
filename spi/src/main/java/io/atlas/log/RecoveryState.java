package io.atlas.log;

import java.util.List;
import java.util.Optional;

/**
 * What a replica needs after a restart: the last durable checkpoint, every stored decision after
 * it in ascending order, and the last stored configuration.
 *
 * @param checkpoint               the last checkpoint, if any was stored
 * @param decisionsAfterCheckpoint decisions with a sequence number above the checkpoint's (all
 *                                 stored decisions when there is no checkpoint), ascending and
 *                                 contiguous
 * @param configuration            the last stored configuration, if any
 */
public record RecoveryState<P, S, C>(Optional<Checkpoint<S>> checkpoint,
                                     List<Decision<P>> decisionsAfterCheckpoint,
                                     Optional<C> configuration) {

    /** Copies the list; refuses nulls with {@link IllegalArgumentException}. */
    public RecoveryState {
        if (checkpoint == null || decisionsAfterCheckpoint == null || configuration == null) {
            throw new IllegalArgumentException("recovery state components must not be null (use Optional.empty() or an empty list)");
        }
        decisionsAfterCheckpoint = List.copyOf(decisionsAfterCheckpoint);
    }
}

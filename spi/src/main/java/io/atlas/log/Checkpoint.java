package io.atlas.log;

/**
 * An application checkpoint: the state of the replicated state machine after applying every
 * decision up to and including {@code seqNo}.
 *
 * @param seqNo the last decision the state includes, never null
 * @param state the application state, never null
 * @param <S>   state type
 */
public record Checkpoint<S>(SeqNo seqNo, S state) {

    /**
     * @throws IllegalArgumentException if an argument is null
     */
    public Checkpoint {
        if (seqNo == null) {
            throw new IllegalArgumentException("checkpoint seqNo must not be null");
        }
        if (state == null) {
            throw new IllegalArgumentException("checkpoint state must not be null at seq " + seqNo);
        }
    }
}

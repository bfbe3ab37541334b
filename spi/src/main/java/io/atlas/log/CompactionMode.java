package io.atlas.log;

/**
 * When the log drops decisions below checkpoints.
 */
public enum CompactionMode {
    /** Only when the application calls {@link PersistentLog#compactLogUpTo(SeqNo)}. */
    MANUAL,
    /**
     * After each durable {@link PersistentLog#storeCheckpoint}, decisions up to the checkpoint minus
     * {@code compactionRetain} are dropped.
     */
    ON_CHECKPOINT
}

package io.atlas.log;

/**
 * A storage failure: an I/O error, a failed fsync, a full disk, or a log that cannot be used.
 * Unchecked. After one is thrown from a write, the log is fail-stop: nothing stored after the
 * failure is acknowledged, and later writes throw again until the log is closed and reopened.
 */
public class PersistentLogException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PersistentLogException(String message) {
        super(message);
    }

    public PersistentLogException(String message, Throwable cause) {
        super(message, cause);
    }
}

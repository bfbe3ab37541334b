package io.atlas.log;

/**
 * The log directory is already open by another {@code PersistentLog}, in this process or another
 * (guarantee G7). The message names the lock file.
 */
public class LogLockedException extends PersistentLogException {

    private static final long serialVersionUID = 1L;

    public LogLockedException(String message) {
        super(message);
    }

    public LogLockedException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.atlas.log;

/**
 * The log directory was written by another backend or by a newer format version than this code
 * reads (guarantee G10). The message names both.
 */
public class IncompatibleLogException extends PersistentLogException {

    private static final long serialVersionUID = 1L;

    public IncompatibleLogException(String message) {
        super(message);
    }

    public IncompatibleLogException(String message, Throwable cause) {
        super(message, cause);
    }
}

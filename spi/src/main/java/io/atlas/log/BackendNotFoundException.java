package io.atlas.log;

/**
 * No usable storage backend: the configured name is unknown, none is on the class path, several
 * are and none was named, two share a name, or one failed to load. The message lists what was
 * found and where it came from.
 */
public class BackendNotFoundException extends PersistentLogException {

    private static final long serialVersionUID = 1L;

    public BackendNotFoundException(String message) {
        super(message);
    }

    public BackendNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}

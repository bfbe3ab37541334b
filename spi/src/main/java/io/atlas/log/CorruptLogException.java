package io.atlas.log;

/**
 * Stored bytes failed a check (checksum, length, format): corruption, not a torn tail. The
 * message names the file (or store), offset and sequence number where known. Committed data is
 * never silently dropped; the caller decides what to do (restore from a peer, for example).
 */
public class CorruptLogException extends PersistentLogException {

    private static final long serialVersionUID = 1L;

    public CorruptLogException(String message) {
        super(message);
    }

    public CorruptLogException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.atlas.log.tck.crash;

/**
 * One line of the protocol a crash child ({@link CrashWriter}) writes to its standard output, one
 * line per event, each flushed before the child goes on:
 *
 * <pre>
 * OPENING                                  about to open the log
 * RECOVERED &lt;micros&gt; &lt;summary&gt;            opened and recovered; the summary of what it saw
 * READY                                    the workload starts
 * TRY DECISION &lt;seq&gt; &lt;id&gt; &lt;crc&gt;           about to store; printed before the call
 * ACK DECISION &lt;seq&gt; &lt;id&gt; [async]         the call returned (or the async future completed)
 * TRY CHECKPOINT &lt;seq&gt; &lt;id&gt; &lt;crc&gt;   ACK CHECKPOINT &lt;seq&gt; &lt;id&gt;
 * TRY COMPACT &lt;seq&gt;                ACK COMPACT &lt;seq&gt;
 * TRY TRUNCATE &lt;seq&gt;               ACK TRUNCATE &lt;seq&gt;
 * TRY CONFIG &lt;id&gt; &lt;crc&gt;           ACK CONFIG &lt;id&gt;
 * TRY META &lt;key&gt; &lt;id&gt; &lt;crc&gt;      ACK META &lt;key&gt; &lt;id&gt;
 * TRY SYNC                         ACK SYNC
 * ERROR &lt;message&gt;                  an operation failed; the child stops
 * DONE                             the workload ended on its own
 * </pre>
 *
 * A TRY line reaches the parent before the operation starts and an ACK line only after it returned,
 * so after a SIGKILL the parent knows every operation that may have happened and every one that was
 * acknowledged. The parent adds {@code SHUTDOWN} to its own history when it cuts the power.
 *
 * @param type  what happened
 * @param op    the operation of a TRY or ACK, else null
 * @param seq   the sequence number, or -1
 * @param id    the attempt id, or -1
 * @param key   the metadata key, or null
 * @param crc   the checksum of the bytes a TRY stores, or -1
 * @param async whether an ACK DECISION is the completion of {@code storeDecisionAsync}
 * @param text  the message of ERROR, the summary of RECOVERED, else null
 */
record CrashEvent(Type type, Op op, long seq, long id, String key, long crc, boolean async, String text) {

    enum Type { OPENING, RECOVERED, READY, TRY, ACK, ERROR, DONE, SHUTDOWN }

    enum Op { DECISION, CHECKPOINT, COMPACT, TRUNCATE, CONFIG, META, SYNC }

    static CrashEvent of(Type type) {
        return new CrashEvent(type, null, -1, -1, null, -1, false, null);
    }

    static CrashEvent recovered(long micros, String summary) {
        return new CrashEvent(Type.RECOVERED, null, micros, -1, null, -1, false, summary);
    }

    static CrashEvent error(String message) {
        return new CrashEvent(Type.ERROR, null, -1, -1, null, -1, false, message.replaceAll("[\\r\\n]+", " | "));
    }

    static CrashEvent tryOp(Op op, long seq, long id, String key, long crc) {
        return new CrashEvent(Type.TRY, op, seq, id, key, crc, false, null);
    }

    static CrashEvent ack(Op op, long seq, long id, String key, boolean async) {
        return new CrashEvent(Type.ACK, op, seq, id, key, -1, async, null);
    }

    /** The protocol line, without the line feed. */
    String toLine() {
        return switch (type) {
            case RECOVERED -> "RECOVERED " + seq + " " + text;
            case ERROR -> "ERROR " + text;
            case TRY -> "TRY " + op + switch (op) {
                case DECISION, CHECKPOINT -> " " + seq + " " + id + " " + crc;
                case COMPACT, TRUNCATE -> " " + seq;
                case CONFIG -> " " + id + " " + crc;
                case META -> " " + key + " " + id + " " + crc;
                case SYNC -> "";
            };
            case ACK -> "ACK " + op + switch (op) {
                case DECISION -> " " + seq + " " + id + (async ? " async" : "");
                case CHECKPOINT -> " " + seq + " " + id;
                case COMPACT, TRUNCATE -> " " + seq;
                case CONFIG -> " " + id;
                case META -> " " + key + " " + id;
                case SYNC -> "";
            };
            default -> type.name();
        };
    }

    /**
     * Parses one protocol line.
     *
     * @throws IllegalArgumentException naming the line, if it is not a protocol line
     */
    static CrashEvent parse(String line) {
        String[] f = line.split(" ");
        try {
            Type type = Type.valueOf(f[0]);
            switch (type) {
                case RECOVERED -> {
                    int at = line.indexOf(' ', "RECOVERED ".length());
                    return recovered(Long.parseLong(f[1]), line.substring(at + 1));
                }
                case ERROR -> {
                    return new CrashEvent(Type.ERROR, null, -1, -1, null, -1, false, line.substring(Math.min(line.length(), 6)));
                }
                case TRY, ACK -> {
                    Op op = Op.valueOf(f[1]);
                    boolean tryLine = type == Type.TRY;
                    int expected = switch (op) {
                        case DECISION, CHECKPOINT -> tryLine ? 5 : 4;
                        case COMPACT, TRUNCATE -> 3;
                        case CONFIG -> tryLine ? 4 : 3;
                        case META -> tryLine ? 5 : 4;
                        case SYNC -> 2;
                    };
                    boolean async = !tryLine && op == Op.DECISION && f.length == 5 && f[4].equals("async");
                    if (f.length != expected && !async) {
                        throw new IllegalArgumentException("expected " + expected + " fields, got " + f.length);
                    }
                    long seq = -1;
                    long id = -1;
                    long crc = -1;
                    String key = null;
                    switch (op) {
                        case DECISION, CHECKPOINT -> {
                            seq = Long.parseLong(f[2]);
                            id = Long.parseLong(f[3]);
                            crc = tryLine ? Long.parseLong(f[4]) : -1;
                        }
                        case COMPACT, TRUNCATE -> seq = Long.parseLong(f[2]);
                        case CONFIG -> {
                            id = Long.parseLong(f[2]);
                            crc = tryLine ? Long.parseLong(f[3]) : -1;
                        }
                        case META -> {
                            key = f[2];
                            id = Long.parseLong(f[3]);
                            crc = tryLine ? Long.parseLong(f[4]) : -1;
                        }
                        case SYNC -> {
                            // no fields
                        }
                    }
                    return new CrashEvent(type, op, seq, id, key, crc, async, null);
                }
                default -> {
                    if (f.length != 1) {
                        throw new IllegalArgumentException("expected no fields after " + type);
                    }
                    return of(type);
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a crash protocol line: '" + line + "' ("
                    + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return toLine();
    }
}

package io.atlas.log;

import java.util.Arrays;
import java.util.Objects;

/**
 * A committed consensus decision: what was decided at {@code seqNo}, in which view, with the
 * digest of the request batch and the proof (for example the commit certificate).
 *
 * <p>The arrays are stored as given and compared by content. Callers must not change them after
 * handing a decision to the log.
 *
 * @param seqNo   position in the log, never null
 * @param view    the view (term, epoch) the decision was made in, {@code >= 0}
 * @param digest  digest of the decided value; may be empty, never null
 * @param payload the decided value; never null
 * @param proof   proof of the decision; may be empty, never null
 * @param <P>     payload type
 */
public record Decision<P>(SeqNo seqNo, long view, byte[] digest, P payload, byte[] proof) {

    private static final byte[] EMPTY = new byte[0];

    /**
     * @throws IllegalArgumentException if an argument is null or {@code view} is negative
     */
    public Decision {
        if (seqNo == null) {
            throw new IllegalArgumentException("decision seqNo must not be null");
        }
        if (view < 0) {
            throw new IllegalArgumentException("decision view must be >= 0, got " + view + " at seq " + seqNo);
        }
        if (digest == null) {
            throw new IllegalArgumentException("decision digest must not be null (use an empty array) at seq " + seqNo);
        }
        if (payload == null) {
            throw new IllegalArgumentException("decision payload must not be null at seq " + seqNo);
        }
        if (proof == null) {
            throw new IllegalArgumentException("decision proof must not be null (use an empty array) at seq " + seqNo);
        }
    }

    /** A decision in view 0 with an empty digest and proof. */
    public static <P> Decision<P> of(SeqNo seqNo, P payload) {
        return new Decision<>(seqNo, 0, EMPTY, payload, EMPTY);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Decision<?> other)) {
            return false;
        }
        return view == other.view
                && seqNo.equals(other.seqNo)
                && Arrays.equals(digest, other.digest)
                && Arrays.equals(proof, other.proof)
                && payloadEquals(payload, other.payload);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(seqNo, view);
        h = 31 * h + Arrays.hashCode(digest);
        h = 31 * h + Arrays.hashCode(proof);
        h = 31 * h + (payload instanceof byte[] b ? Arrays.hashCode(b) : payload.hashCode());
        return h;
    }

    @Override
    public String toString() {
        String p = payload instanceof byte[] b ? "byte[" + b.length + "]" : String.valueOf(payload);
        return "Decision[seqNo=" + seqNo + ", view=" + view + ", digest=byte[" + digest.length
                + "], payload=" + p + ", proof=byte[" + proof.length + "]]";
    }

    private static boolean payloadEquals(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        return a.equals(b);
    }
}

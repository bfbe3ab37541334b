package io.atlas.log.file;

import io.atlas.log.CorruptLogException;

import java.io.IOException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Open-time check of the last segment, the only one open reads (SPEC 5). Records are read in order
 * until one is missing or bad, at offset {@code X}. What follows decides what that means:
 * <ul>
 * <li>nothing but zeros, or bytes holding no valid record: a torn tail (G3);</li>
 * <li>valid records at later offsets, none of which vouches for {@code X} (see below): a torn tail
 *     too, whose unsynced writes reached the disk out of order (a crash can keep a later sector of an
 *     unsynced batch and lose an earlier one). Those later records were never acknowledged and are
 *     discarded with it;</li>
 * <li>a valid later record whose synced watermark is above {@code X}: corruption (G4). Open fails
 *     with {@link CorruptLogException} naming file, offset and seq and changes nothing;</li>
 * <li>a valid seal (trailer and index) describing exactly the records read: a sealed segment, full.
 *     A valid seal that describes more records is corruption, because sealing forces the records first.</li>
 * </ul>
 * A torn tail is overwritten with zeros from {@code X} to its last non-zero byte, so that no later
 * open sees it again, and logged as one warning naming file, offset, seq and how many later records
 * were discarded; the caller forces the file before anything is appended.
 *
 * <h2>The synced watermark, and why the rule is safe</h2>
 * Each record header carries {@code synced} ({@link RecordFormat}): the offset below which the
 * segment was known durable when the record was written. The writer takes it from the segment's
 * in-memory watermark, which is only ever set to a value that a force that has already returned
 * covers: the header's end for a new segment (created and forced before any record, and only after
 * the previous segment was sealed and forced); the data end at open, after open has forced the tail;
 * the cut offset after {@code truncateSuffix}, which forces the file; and, for {@code sync}, the data
 * end read before its force began, published only when that force returned (an append running
 * meanwhile uses the value from before that sync). Hence, for every record {@code R}: when {@code R}
 * was written, every byte in {@code [header end, synced(R))} was on disk with its final content, and
 * no write touches those bytes afterwards (appends only go forward; a cut or a repair clears only
 * bytes above the watermark it leaves). Watermarks are record ends (or the header end), so
 * {@code synced(R) > X} means the whole record at {@code X} was durable before {@code R} was written.
 * <ol>
 * <li><b>A crash never makes open refuse.</b> A power loss keeps every byte a completed force covered.
 *     Let {@code W} be the highest watermark published before the crash: the records below {@code W}
 *     are intact, so the first bad record lies at {@code X >= W}, and every record carries a watermark
 *     {@code <= W <= X}. The state is read as a torn tail, whatever order the unsynced writes reached
 *     the disk in.</li>
 * <li><b>A refusal is real damage.</b> If a valid record {@code R} carries {@code synced(R) > X}, the
 *     bytes at {@code X} were durable before {@code R} was written and are now wrong: no crash does
 *     that.</li>
 * <li><b>No acknowledged record is discarded by a crash.</b> A record acknowledged durable was covered
 *     by a sync whose force returned, which published a watermark at or past the record's end; by 1 the
 *     first bad record lies at or past that watermark, so every discarded record lies beyond every
 *     acknowledged one.</li>
 * </ol>
 * <b>What this cannot see.</b> Damage to durable data is detected only when an intact record written
 * after the data became durable says so. Real damage (bit rot, a bad sector) at an offset at or above
 * the highest watermark any later intact record carries, that is, inside the data that the last sync
 * made durable when no record written after that sync survives, cannot be told from a torn tail: it is
 * truncated with the torn-tail warning, and the acknowledged records from the damage on are lost. The
 * window closes with the next record written: after a sync, or after an open (which forces the tail),
 * that record vouches for everything before it.
 */
final class TailRecovery {

    /** What the last segment holds. */
    record Result(RecordOffsets offsets, boolean sealed) {
    }

    private static final System.Logger LOG = System.getLogger(FileLogStorage.class.getName());
    private static final int CHUNK = 1 << 20;
    private static final byte[] ZEROS = new byte[CHUNK];

    private TailRecovery() {
    }

    static Result recover(Segment segment) throws IOException {
        FileHandle h = segment.handle();
        SegmentHeader header = segment.header();
        long capacity = header.capacity();
        long limit = Math.min(capacity, h.size());
        ReadWindow w = new ReadWindow(h, limit, CHUNK);
        CRC32C crc = new CRC32C();
        int[] ends = new int[64];
        int count = 0;
        long pos = SegmentHeader.SIZE;
        long seq = segment.firstSeq;
        String problem = null;
        while (true) {
            long maxEnd = capacity - SegmentIndex.reservedBytes(count + 1L);
            if (pos + RecordFormat.HEADER_SIZE > maxEnd) {
                break;
            }
            int got = w.load(pos, RecordFormat.HEADER_SIZE);
            byte[] b = w.array();
            int at = w.index(pos);
            if (got < RecordFormat.HEADER_SIZE) {
                if (!RecordFormat.isZero(b, at, at + got)) {
                    problem = "record header cut off: the file ends at offset " + (pos + got);
                }
                break;
            }
            if (RecordFormat.isZero(b, at, at + RecordFormat.HEADER_SIZE)) {
                break;
            }
            problem = RecordFormat.headerProblem(b, at, pos, seq, maxEnd);
            if (problem != null) {
                break;
            }
            int length = RecordFormat.length(b, at);
            int size = RecordFormat.HEADER_SIZE + length;
            got = w.load(pos, size);
            if (got < size) {
                problem = "record of " + size + " bytes cut off: the file ends at offset " + (pos + got);
                break;
            }
            b = w.array();
            at = w.index(pos);
            int computed = RecordFormat.checksum(crc, b, at, b, at + RecordFormat.HEADER_SIZE, length);
            int stored = RecordFormat.storedChecksum(b, at);
            if (computed != stored) {
                problem = "record CRC32C mismatch (stored " + FileFormat.hex(stored) + ", computed "
                        + FileFormat.hex(computed) + ")";
                break;
            }
            if (count == ends.length) {
                ends = Arrays.copyOf(ends, count * 2);
            }
            pos += size;
            ends[count++] = (int) pos;
            seq++;
        }
        RecordOffsets offsets = new RecordOffsets(ends, count);
        String what = problem != null ? problem : "no record where seq " + seq + " would start";
        if (count > 0 && limit == capacity) {
            RecordOffsets sealed = sealedIndex(h, header);
            if (sealed != null) {
                if (sealed.count() == count && Arrays.equals(sealed.toArray(), offsets.toArray())) {
                    return new Result(offsets, true);
                }
                throw FileFormat.corrupt(h.path(), pos, seq, what + ", yet the segment is sealed with "
                        + sealed.count() + " records (seqs " + segment.firstSeq + ".."
                        + (segment.firstSeq + sealed.count() - 1) + "), which were forced to disk before sealing");
            }
        }
        Ahead ahead = scanAhead(w, pos, limit, seq, capacity, crc);
        if (ahead.vouchingOffset >= 0) {
            throw FileFormat.corrupt(h.path(), pos, seq, what + ", yet the valid record seq " + ahead.vouchingSeq
                    + " at offset " + ahead.vouchingOffset + " was written when the segment was synced up to offset "
                    + ahead.vouchingSynced + ": the bytes at offset " + pos + " were durable and are now damaged, "
                    + "which no crash does; the log was left unchanged");
        }
        if (ahead.lastNonZero >= pos) {
            Segment.zero(h, pos, ahead.lastNonZero + 1);
            String later = ahead.laterRecords == 0 ? ""
                    : "; discarded " + ahead.laterRecords + " later record(s) (seqs " + ahead.firstLaterSeq + ".."
                            + ahead.lastLaterSeq + ") that were written after the last sync and reached the disk "
                            + "before an earlier write";
            LOG.log(System.Logger.Level.WARNING, FileFormat.BACKEND + ": discarded a torn tail of " + h.path()
                    + " at offset " + pos + " (seq " + seq + "): " + what + "; cleared " + (ahead.lastNonZero + 1 - pos)
                    + " bytes" + later + "; records " + segment.firstSeq + ".." + (seq - 1)
                    + " of this segment are intact");
        }
        return new Result(offsets, false);
    }

    /** The seal of the segment, or null when it has none or a damaged one (a torn seal). */
    private static RecordOffsets sealedIndex(FileHandle h, SegmentHeader header) throws IOException {
        try {
            return SegmentIndex.read(h, header, -1);
        } catch (CorruptLogException e) {
            return null;
        }
    }

    /**
     * What lies behind the first bad record: how many valid records, the first one whose watermark
     * vouches for the bad offset (or -1), and the last non-zero byte (or -1).
     */
    private static final class Ahead {
        long vouchingOffset = -1;
        long vouchingSeq = -1;
        int vouchingSynced = -1;
        int laterRecords;
        long firstLaterSeq = -1;
        long lastLaterSeq = -1;
        long lastNonZero = -1;
    }

    /**
     * Looks for valid records at any offset in {@code [from, limit)} with a seq at or above {@code seq},
     * stopping at the first one whose synced watermark lies above {@code from}. Only offsets whose
     * header bytes are not all zero can start one, so zero runs are skipped with a vectorized
     * comparison; a valid record is skipped whole, as records never overlap.
     */
    private static Ahead scanAhead(ReadWindow w, long from, long limit, long seq, long capacity, CRC32C crc)
            throws IOException {
        Ahead ahead = new Ahead();
        long maxSeq = seq + capacity / RecordFormat.HEADER_SIZE;
        long nextCandidate = from;
        long q = from;
        while (q < limit) {
            int n = Math.min(CHUNK, w.loadFrom(q));
            if (n <= 0) {
                break;
            }
            int at = w.index(q);
            int rel = Arrays.mismatch(w.array(), at, at + n, ZEROS, 0, n);
            if (rel < 0) {
                q += n;
                continue;
            }
            long nonZero = q + rel;
            ahead.lastNonZero = nonZero;
            q = nonZero + 1;
            for (long c = Math.max(nextCandidate, nonZero - RecordFormat.HEADER_SIZE + 1); c <= nonZero; c++) {
                int size = validRecordAt(w, c, seq, maxSeq, capacity, crc);
                if (size < 0) {
                    continue;
                }
                byte[] b = w.array();
                int i = w.index(c);
                long recordSeq = RecordFormat.seq(b, i);
                int synced = RecordFormat.synced(b, i);
                if (synced > from) {
                    ahead.vouchingOffset = c;
                    ahead.vouchingSeq = recordSeq;
                    ahead.vouchingSynced = synced;
                    return ahead;
                }
                if (ahead.laterRecords++ == 0) {
                    ahead.firstLaterSeq = recordSeq;
                }
                ahead.lastLaterSeq = recordSeq;
                ahead.lastNonZero = Math.max(ahead.lastNonZero, c + size - 1);
                q = c + size;
                break;
            }
            nextCandidate = q;
        }
        return ahead;
    }

    /**
     * The size of a valid record starting at {@code c}, or -1. On success the window holds the record,
     * so its header can be read at {@code w.index(c)}.
     */
    private static int validRecordAt(ReadWindow w, long c, long minSeq, long maxSeq, long capacity, CRC32C crc)
            throws IOException {
        if (w.load(c, RecordFormat.HEADER_SIZE) < RecordFormat.HEADER_SIZE) {
            return -1;
        }
        byte[] b = w.array();
        int at = w.index(c);
        int length = RecordFormat.length(b, at);
        long recordSeq = RecordFormat.seq(b, at);
        if (length < 0 || c + RecordFormat.HEADER_SIZE + (long) length > capacity - SegmentIndex.TRAILER_SIZE
                || recordSeq < minSeq || recordSeq > maxSeq || !RecordFormat.plausibleSynced(RecordFormat.synced(b, at), c)) {
            return -1;
        }
        int size = RecordFormat.HEADER_SIZE + length;
        if (w.load(c, size) < size) {
            return -1;
        }
        b = w.array();
        at = w.index(c);
        int computed = RecordFormat.checksum(crc, b, at, b, at + RecordFormat.HEADER_SIZE, length);
        return computed == RecordFormat.storedChecksum(b, at) ? size : -1;
    }
}

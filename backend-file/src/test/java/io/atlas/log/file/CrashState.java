package io.atlas.log.file;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.Adler32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * One state a {@link SimulatedDisk} may be left in by a crash at the current operation boundary,
 * materialized as a new disk holding only durable files.
 *
 * <h2>What a crash may keep</h2>
 * Sectors ({@value SimulatedDisk#SECTOR} bytes) are written atomically: each sector touched by
 * unforced writes ends at its durable content or at its content after one of those writes. Directory
 * changes not yet synced are kept or lost as whole operations, and a change is kept only if every
 * earlier change to the same name is kept (a rename is never kept without the create of its source).
 * Forced file contents and synced directory entries always survive. Bytes read back as zeros or
 * garbage ({@link Kind#ZEROS}, {@link Kind#GARBAGE}) only where nothing durable was stored: past the
 * durable end of the file or over durable zeros, as when the size of an appended file reached the
 * disk but its data did not.
 *
 * <h2>Holes</h2>
 * A crash that keeps a later unsynced write of a segment and loses an earlier one can leave a valid
 * record behind a torn one. The file backend must read that as a torn tail, not as damage: no record
 * written before the crash vouches (by its synced watermark) for the lost one. {@link #holeFiles()}
 * names the segments where this crash left an intact record behind one that is not, so that the
 * campaign can count how often the states exercise that case.
 */
final class CrashState {

    /** How the state was chosen. Every kind but {@link #KILL} is a power loss. */
    enum Kind {
        /** The process died: the disk keeps everything written, synced or not. */
        KILL,
        /** Power loss keeping only what was forced and synced. */
        DURABLE_ONLY,
        /** Power loss keeping unforced writes in the order they were issued, up to a sector of one write, and a prefix of the directory changes. */
        PREFIX,
        /** Power loss keeping a random version of each sector and a random subset of directory changes (in per-name order). */
        SUBSET,
        /** Like {@link #PREFIX}, but what was appended and lost reads back as zeros, up to a size between the kept and the new one. */
        ZEROS,
        /** Like {@link #ZEROS}, with random bytes instead of zeros. */
        GARBAGE,
        /** Power loss during the recovery done by opening an earlier crash state. */
        RECOVERY;

        boolean isPowerLoss() {
            return this != KILL;
        }
    }

    private final Kind kind;
    private final Path dir;
    private final SimulatedDisk disk;
    private final long fingerprint;
    private final Set<String> holeFiles;
    /** What the workload meant each segment to hold: its live content at the crash. */
    private final Map<String, byte[]> intended;
    private final String description;

    private CrashState(Kind kind, Path dir, SimulatedDisk disk, long fingerprint, Set<String> holeFiles,
            Map<String, byte[]> intended, String description) {
        this.kind = kind;
        this.dir = dir;
        this.disk = disk;
        this.fingerprint = fingerprint;
        this.holeFiles = holeFiles;
        this.intended = intended;
        this.description = description;
    }

    Kind kind() {
        return kind;
    }

    /** The disk in this state, all of it durable. */
    SimulatedDisk disk() {
        return disk;
    }

    /** A checksum of every file name and content, to skip states already checked. */
    long fingerprint() {
        return fingerprint;
    }

    /** Segment files in which an intact record follows one that is not (see the class comment); such states must open. */
    Set<String> holeFiles() {
        return holeFiles;
    }

    String description() {
        return description;
    }

    /** This state, taken while opening {@code cause}, as the result of a crash during that recovery. */
    CrashState duringRecoveryOf(CrashState cause) {
        // Holes are judged against what the workload wrote: a crash while recovery clears a torn tail
        // may keep a cleared sector and lose the next one, and so bring back a record the tear had damaged.
        Set<String> holes = new TreeSet<>();
        for (Map.Entry<String, byte[]> e : disk.liveFiles(dir).entrySet()) {
            byte[] meant = cause.intended.get(e.getKey());
            if (meant != null && hasHole(meant, e.getValue())) {
                holes.add(e.getKey());
            }
        }
        return new CrashState(Kind.RECOVERY, dir, disk, fingerprint, holes, cause.intended, kind + " state of a crash during recovery ["
                + description + "] from " + cause.kind + " state [" + cause.description + "]");
    }

    /** The state a power loss now leaves when it keeps only what is durable. */
    static CrashState durableOnly(SimulatedDisk source, Path dir) {
        return of(source, dir, Kind.DURABLE_ONLY, new SplittableRandom(0));
    }

    /** Builds a state of {@code kind} from the disk's current state, for the directory {@code dir}. */
    static CrashState of(SimulatedDisk source, Path dir, Kind kind, SplittableRandom rnd) {
        if (kind == Kind.RECOVERY) {
            throw new IllegalArgumentException("crash state: RECOVERY states come from duringRecoveryOf, not of()");
        }
        SimulatedDisk.Dir d = source.dirs().get(dir);
        StringBuilder desc = new StringBuilder(kind.name());
        TreeMap<String, SimulatedDisk.Inode> entries = keptEntries(d, kind, rnd, desc);

        Set<SimulatedDisk.Inode> reachable = Collections.newSetFromMap(new IdentityHashMap<>());
        reachable.addAll(entries.values());
        // A global order of unforced writes: PREFIX-like kinds keep those before a cut, and some sectors of the one at it.
        int cut = Integer.MAX_VALUE;
        int partialSectors = 0;
        if (kind == Kind.PREFIX || kind == Kind.ZEROS || kind == Kind.GARBAGE) {
            List<SimulatedDisk.Write> all = new ArrayList<>();
            for (SimulatedDisk.Inode in : reachable) {
                all.addAll(in.pending);
            }
            all.sort((a, b) -> Integer.compare(a.opIndex(), b.opIndex()));
            int c = rnd.nextInt(all.size() + 1);
            if (c < all.size()) {
                SimulatedDisk.Write w = all.get(c);
                cut = w.opIndex();
                partialSectors = rnd.nextInt(sectorSpan(w) + 1);
                desc.append("; unforced writes kept up to op #").append(cut).append(" exclusive, then ")
                        .append(partialSectors).append(" of its ").append(sectorSpan(w)).append(" sectors");
            } else {
                desc.append("; all ").append(all.size()).append(" unforced writes kept");
            }
        }

        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<SimulatedDisk.Inode, byte[]> built = new IdentityHashMap<>();
        Set<String> holes = new TreeSet<>();
        Map<String, byte[]> intended = new TreeMap<>();
        CRC32C crc = new CRC32C();
        Adler32 adler = new Adler32();
        for (Map.Entry<String, SimulatedDisk.Inode> e : entries.entrySet()) {
            SimulatedDisk.Inode in = e.getValue();
            byte[] content = built.get(in);
            if (content == null) {
                content = content(in, kind, cut, partialSectors, rnd, desc, e.getKey());
                built.put(in, content);
            }
            files.put(e.getKey(), content);
            if (Segment.isName(e.getKey())) {
                byte[] meant = in.liveContent();
                intended.put(e.getKey(), meant);
                if (hasHole(meant, content)) {
                    holes.add(e.getKey());
                }
            }
            byte[] nameBytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            for (Checksum sum : new Checksum[] {crc, adler}) {
                sum.update(nameBytes);
                sum.update(content.length);
                sum.update(content);
            }
        }
        long fingerprint = crc.getValue() << 32 | adler.getValue();
        return new CrashState(kind, dir, SimulatedDisk.of(dir, files), fingerprint, holes, intended, desc.toString());
    }

    /** The directory entries after the crash: durable ones plus the kept unsynced changes, in order. */
    private static TreeMap<String, SimulatedDisk.Inode> keptEntries(SimulatedDisk.Dir d, Kind kind,
            SplittableRandom rnd, StringBuilder desc) {
        List<SimulatedDisk.DirOp> pending = d.pending;
        int n = pending.size();
        boolean[] keep = new boolean[n];
        switch (kind) {
            case KILL -> Arrays.fill(keep, true);
            case DURABLE_ONLY -> {
            }
            case SUBSET -> {
                Set<String> blocked = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    SimulatedDisk.DirOp op = pending.get(i);
                    boolean free = !blocked.contains(op.name()) && (op.target() == null || !blocked.contains(op.target()));
                    keep[i] = free && rnd.nextBoolean();
                    if (!keep[i]) {
                        blocked.add(op.name());
                        if (op.target() != null) {
                            blocked.add(op.target());
                        }
                    }
                }
            }
            default -> Arrays.fill(keep, 0, rnd.nextInt(n + 1), true);
        }
        TreeMap<String, SimulatedDisk.Inode> entries = new TreeMap<>(d.durable);
        if (n > 0) {
            desc.append("; directory changes");
        }
        for (int i = 0; i < n; i++) {
            SimulatedDisk.DirOp op = pending.get(i);
            desc.append(keep[i] ? " kept[#" : " lost[#").append(op.opIndex()).append(' ')
                    .append(op.kind().name().toLowerCase(Locale.ROOT)).append(' ').append(op.name());
            if (op.target() != null) {
                desc.append("->").append(op.target());
            }
            desc.append(']');
            if (!keep[i]) {
                continue;
            }
            switch (op.kind()) {
                case CREATE -> entries.put(op.name(), op.inode());
                case DELETE -> entries.remove(op.name());
                case RENAME -> {
                    entries.remove(op.name());
                    entries.put(op.target(), op.inode());
                }
                default -> throw new IllegalStateException("crash state: " + op + " is not a directory change");
            }
        }
        return entries;
    }

    private static int sectorSpan(SimulatedDisk.Write w) {
        return (int) ((w.end() - 1) / SimulatedDisk.SECTOR - w.offset() / SimulatedDisk.SECTOR + 1);
    }

    /** The content of one file after the crash. */
    private static byte[] content(SimulatedDisk.Inode in, Kind kind, int cut, int partialSectors, SplittableRandom rnd,
            StringBuilder desc, String name) {
        if (kind == Kind.KILL) {
            return in.liveContent();
        }
        if (kind == Kind.DURABLE_ONLY || in.pending.isEmpty()) {
            return Arrays.copyOf(in.durable, in.durableSize);
        }
        int capacity = Math.max(in.durableSize, in.size);
        byte[] out = Arrays.copyOf(in.durable, capacity);
        int size = in.durableSize;
        int sectors = (capacity + SimulatedDisk.SECTOR - 1) / SimulatedDisk.SECTOR;
        int[] version = null;
        boolean garbageForLost = kind == Kind.GARBAGE;
        if (kind == Kind.SUBSET) {
            // Each sector ends at its durable content (0) or after its v-th unforced write.
            int[] writes = new int[sectors];
            for (SimulatedDisk.Write w : in.pending) {
                for (long s = w.offset() / SimulatedDisk.SECTOR; s * SimulatedDisk.SECTOR < w.end(); s++) {
                    writes[(int) s]++;
                }
            }
            version = new int[sectors];
            boolean favourLatest = rnd.nextBoolean();
            for (int s = 0; s < sectors; s++) {
                if (writes[s] > 0) {
                    version[s] = favourLatest && rnd.nextInt(3) > 0 ? writes[s] : rnd.nextInt(writes[s] + 1);
                }
            }
            garbageForLost = rnd.nextInt(4) == 0;
        }
        int[] seen = new int[sectors];
        boolean[] applied = new boolean[sectors];
        int keptPieces = 0;
        int pieces = 0;
        for (SimulatedDisk.Write w : in.pending) {
            long firstSector = w.offset() / SimulatedDisk.SECTOR;
            for (long s = firstSector; s * SimulatedDisk.SECTOR < w.end(); s++) {
                int si = (int) s;
                seen[si]++;
                pieces++;
                boolean keep = version != null ? seen[si] <= version[si]
                        : w.opIndex() < cut || w.opIndex() == cut && s - firstSector < partialSectors;
                if (keep) {
                    int from = (int) Math.max(w.offset(), s * SimulatedDisk.SECTOR);
                    int to = (int) Math.min(w.end(), (s + 1) * SimulatedDisk.SECTOR);
                    System.arraycopy(w.bytes(), (int) (from - w.offset()), out, from, to - from);
                    applied[si] = true;
                    size = Math.max(size, to);
                    keptPieces++;
                }
            }
        }
        boolean fill = kind == Kind.ZEROS || kind == Kind.GARBAGE || garbageForLost;
        if (fill) {
            // Lost appended bytes in sectors that kept nothing newer read back as zeros or garbage.
            for (SimulatedDisk.Write w : in.pending) {
                for (long s = w.offset() / SimulatedDisk.SECTOR; s * SimulatedDisk.SECTOR < w.end(); s++) {
                    if (applied[(int) s]) {
                        continue;
                    }
                    int from = (int) Math.max(w.offset(), s * SimulatedDisk.SECTOR);
                    int to = (int) Math.min(w.end(), (s + 1) * SimulatedDisk.SECTOR);
                    if (!appendedRegion(in, from, to)) {
                        continue;
                    }
                    if (garbageForLost) {
                        for (int i = from; i < to; i++) {
                            out[i] = (byte) rnd.nextInt(256);
                        }
                    } else {
                        Arrays.fill(out, from, to, (byte) 0);
                    }
                    size = Math.max(size, to);
                }
            }
            if (kind != Kind.SUBSET && in.size > size) {
                // The new size reached the disk, or part of the way to it.
                size += rnd.nextInt(in.size - size + 1);
            }
        }
        desc.append("; ").append(name).append(": ").append(keptPieces).append(" of ").append(pieces)
                .append(" unforced sector writes kept").append(fill ? (garbageForLost ? ", lost appends as garbage"
                        : ", lost appends as zeros") : "").append(", size ").append(size);
        return Arrays.copyOf(out, size);
    }

    /** True when nothing durable but zeros lies in {@code [from, to)}. */
    private static boolean appendedRegion(SimulatedDisk.Inode in, int from, int to) {
        int durableTo = Math.min(to, in.durableSize);
        for (int i = from; i < durableTo; i++) {
            if (in.durable[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when, walking the records the segment was meant to hold ({@code intended}, the live
     * content), an intact record of {@code crashed} follows one that is not.
     */
    static boolean hasHole(byte[] intended, byte[] crashed) {
        CRC32C crc = new CRC32C();
        int pos = SegmentHeader.SIZE;
        boolean damaged = false;
        while (pos + RecordFormat.HEADER_SIZE <= intended.length) {
            if (RecordFormat.isZero(intended, pos, pos + RecordFormat.HEADER_SIZE)) {
                break;
            }
            int length = RecordFormat.length(intended, pos);
            if (length < 0 || (long) pos + RecordFormat.HEADER_SIZE + length > intended.length) {
                break;
            }
            int end = pos + RecordFormat.HEADER_SIZE + length;
            if (RecordFormat.checksum(crc, intended, pos, intended, pos + RecordFormat.HEADER_SIZE, length)
                    != RecordFormat.storedChecksum(intended, pos)) {
                break;
            }
            boolean intact = end <= crashed.length && Arrays.equals(intended, pos, end, crashed, pos, end);
            if (intact && damaged) {
                return true;
            }
            damaged |= !intact;
            pos = end;
        }
        return false;
    }

    @Override
    public String toString() {
        return description;
    }
}

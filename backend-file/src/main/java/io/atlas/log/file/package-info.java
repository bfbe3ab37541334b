/**
 * The {@code file} storage backend ({@link io.atlas.log.file.FileStorageProvider}).
 *
 * <h2>Files in the log directory, and the class that writes each</h2>
 * <pre>
 * seg-&lt;firstSeq&gt;-&lt;ordinal&gt;.log   Segment          32-byte SegmentHeader, records (RecordFormat), zeros;
 *                                 once sealed a SegmentIndex (record ends + 32-byte trailer at the end)
 *   record                        RecordFormat     length:int seq:long synced:int crc:int, then the payload;
 *                                                  the CRC32C covers the first 16 bytes and the payload
 * truncation.state              TruncationState  prefix truncation point, pending suffix cut
 * checkpoint-&lt;seq&gt;.ckpt          CheckpointStore  one checkpoint per file
 * meta-&lt;key&gt;.meta                MetaStore        one metadata value per file
 * *.tmp                         AtomicFile       a file being replaced; deleted at open after a crash
 * </pre>
 * Numbers in names are 20 decimal digits; all integers in files are big-endian; every file carries a
 * magic number, the backend's format version ({@code FileFormat.VERSION}) and a CRC32C.
 *
 * <h2>Recovery</h2>
 * Open lists the directory, finishes an interrupted truncation, checks that segment ordinals are
 * consecutive (a missing segment is seen from names alone) and reads only the last segment
 * ({@code TailRecovery}); sealed segments are opened when first read. All file-system calls go
 * through {@code FileIo}, so tests can count them, fail them or replay crash states.
 *
 * <h2>The synced watermark</h2>
 * Each record's {@code synced} field is the offset below which its segment was known durable (covered
 * by a force that had returned) when the record was written. A crash may persist unsynced writes out
 * of order, leaving valid records behind a lost one; none of them can carry a watermark above the lost
 * record, so open discards them as a torn tail (G3). A valid record whose watermark lies above a bad
 * one proves the bad bytes had been durable: that is corruption, and open fails (G4). The watermark
 * starts at the header's end in a new segment, at the data end after open has forced the tail, at the
 * cut after {@code truncateSuffix}, and rises after each sync's force returns. {@code TailRecovery}
 * gives the safety argument and what it cannot tell apart.
 */
package io.atlas.log.file;

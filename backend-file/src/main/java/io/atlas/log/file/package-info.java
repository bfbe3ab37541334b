/**
 * The {@code file} storage backend ({@link io.atlas.log.file.FileStorageProvider}).
 *
 * <h2>Files in the log directory, and the class that writes each</h2>
 * <pre>
 * seg-&lt;firstSeq&gt;-&lt;ordinal&gt;.log   Segment          32-byte SegmentHeader, records (RecordFormat), zeros;
 *                                 once sealed a SegmentIndex (record ends + 32-byte trailer at the end)
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
 */
package io.atlas.log.file;

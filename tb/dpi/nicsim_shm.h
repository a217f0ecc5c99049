// nicsim_shm.h: layout of the shared-memory regions the DPI models and the Python host share.
// The Python side (tb/shm.py) reads the #defines below, so this file is their one definition.
// Every region is a file under $NICSIM_SHM_DIR named region<ID>, mapped by both sides.
#ifndef NICSIM_SHM_H
#define NICSIM_SHM_H

#define NICSIM_MEM_REGION_BASE 0       // host physical memory of host N is region N
#define NICSIM_LOG_REGION_BASE 8       // DMA access log of host N is region 8 + N
#define NICSIM_CHAN_REGION_BASE 16     // wire channel N is region 16 + N

// DMA access log region: one entry per burst the memory accepted, while LOG_ON is 1
#define LOG_OFF_ON 0               // u64
#define LOG_OFF_COUNT 8            // u64 entries written so far (entry i is at i % LOG_ENTRIES)
#define LOG_OFF_ENTRIES 64
#define LOG_ENTRY_SIZE 24          // u64 cycle, u64 address, u32 bytes, u32 kind (0 read, 1 write)
#define LOG_ENTRIES 65536
#define LOG_REGION_SIZE (LOG_OFF_ENTRIES + LOG_ENTRIES * LOG_ENTRY_SIZE)

// channel region: control block, then a capture ring (frames seen on the wire, for Python)
// and an inject ring (frames Python puts on the wire)
#define CHAN_MAGIC 0x4e4943534348414eULL
#define CHAN_OFF_MAGIC 0
#define CHAN_OFF_LOSS_PPM 8        // u32 parts per million of frames dropped
#define CHAN_OFF_DUP_PPM 12        // u32 duplicated
#define CHAN_OFF_REORDER_PPM 16    // u32 held back by REORDER_CYCLES so later frames overtake
#define CHAN_OFF_CORRUPT_PPM 20    // u32 one byte flipped
#define CHAN_OFF_DELAY_CYCLES 24   // u32 fixed wire delay
#define CHAN_OFF_REORDER_CYCLES 28 // u32
#define CHAN_OFF_SEED 32           // u64, re-seeds the generator when SEED_GEN changes
#define CHAN_OFF_SEED_GEN 40       // u64
#define CHAN_OFF_CAPTURE_ON 48     // u64: 1 = copy every frame into the capture ring
#define CHAN_OFF_LINE_MBPS 56      // u32 line rate in Mbit/s (0: frames back to back at the
                                   // stream rate); each frame also pays CHAN_FRAME_OVERHEAD
#define CHAN_FRAME_OVERHEAD 24     // bytes of FCS, preamble and inter-frame gap per frame
#define CHAN_OFF_COUNTERS 64       // u64 x 8, below
#define CHAN_CNT_FRAMES_IN 0
#define CHAN_CNT_FRAMES_OUT 1
#define CHAN_CNT_LOST 2
#define CHAN_CNT_DUPLICATED 3
#define CHAN_CNT_REORDERED 4
#define CHAN_CNT_CORRUPTED 5
#define CHAN_CNT_CAPTURE_OVERFLOW 6
#define CHAN_CNT_QUEUE_OVERFLOW 7
#define CHAN_OFF_CAPTURE_RING 128  // ring header: u64 write count, u64 read count
#define CHAN_OFF_INJECT_RING 192
#define CHAN_OFF_SLOTS 256
#define CHAN_SLOT_SIZE 16384       // u32 length, u32 flags (bit0 bad frame), u64 cycle, data
#define CHAN_SLOT_HDR 16
#define CHAN_CAPTURE_SLOTS 512
#define CHAN_INJECT_SLOTS 128
#define CHAN_REGION_SIZE (CHAN_OFF_SLOTS + (CHAN_CAPTURE_SLOTS + CHAN_INJECT_SLOTS) * CHAN_SLOT_SIZE)
#define CHAN_MAX_QUEUE 4096        // frames on the wire at once before the oldest is dropped

#endif

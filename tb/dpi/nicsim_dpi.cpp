// nicsim_dpi.cpp: compiled models behind the simulation tops, so no Python runs per clock beat.
//  - host physical memory: an AXI4 slave (tb_axi_dpi_mem.v) reads and writes an mmap-backed file
//    that the Python host maps too;
//  - the wire: AXI-Stream sinks push frames into a channel (with seeded loss, duplication,
//    reordering, corruption and delay) and sources pop them, or frames Python injected;
//    every frame can be copied to a capture ring that Python reads.
// Python and this code run in one thread (cocotb calls into Python between simulation steps),
// so the shared regions need no locking.
#include <svdpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <iterator>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "nicsim_shm.h"

namespace {

struct Region {
    uint8_t *base = nullptr;
    uint64_t size = 0;
};

Region regions[64];

Region &region(int id) {
    Region &r = regions[id];
    if (r.base) return r;
    const char *dir = getenv("NICSIM_SHM_DIR");
    if (!dir) {
        fprintf(stderr, "nicsim_dpi: NICSIM_SHM_DIR is not set (run through tb.runner)\n");
        abort();
    }
    std::string path = std::string(dir) + "/region" + std::to_string(id);
    int fd = open(path.c_str(), O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, "nicsim_dpi: region %d (%s) not created by the Python host\n", id,
                path.c_str());
        abort();
    }
    void *p = mmap(nullptr, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("nicsim_dpi: mmap");
        abort();
    }
    r.base = static_cast<uint8_t *>(p);
    r.size = st.st_size;
    return r;
}

template <typename T> T &at(Region &r, uint64_t off) { return *reinterpret_cast<T *>(r.base + off); }

// ------------------------------------------------------------------------------- wire channels

struct Frame {
    std::vector<uint8_t> data;
    uint32_t flags = 0;
    uint64_t due = 0;
};

struct Channel {
    std::deque<Frame> queue;           // frames on the wire, ordered by due cycle
    std::vector<uint8_t> rx_assembly;  // sink side: frame being received
    uint32_t rx_flags = 0;
    Frame tx_frame;                    // source side: frame being sent
    size_t tx_pos = 0;
    bool tx_active = false;
    uint64_t next_start_mc = 0;        // source side: earliest start of the next frame, in
                                       // thousandths of a cycle (line-rate pacing)
    uint64_t rng = 0;
    uint64_t seed_gen = ~0ULL;
};

Channel channels[16];

uint64_t next_random(Channel &c) {  // xorshift64*
    c.rng ^= c.rng >> 12;
    c.rng ^= c.rng << 25;
    c.rng ^= c.rng >> 27;
    return c.rng * 0x2545F4914F6CDD1DULL;
}

bool chance(Channel &c, uint32_t ppm) { return ppm && (next_random(c) % 1000000) < ppm; }

uint64_t *counters(Region &r) { return &at<uint64_t>(r, CHAN_OFF_COUNTERS); }

// A ring of fixed slots in a channel region; header = u64 write count, u64 read count.
struct Ring {
    Region &r;
    uint64_t hdr, first_slot, nslots;
    uint64_t &wr() { return at<uint64_t>(r, hdr); }
    uint64_t &rd() { return at<uint64_t>(r, hdr + 8); }
    uint8_t *slot(uint64_t i) { return r.base + first_slot + (i % nslots) * CHAN_SLOT_SIZE; }
};

Ring capture_ring(Region &r) {
    return Ring{r, CHAN_OFF_CAPTURE_RING, CHAN_OFF_SLOTS, CHAN_CAPTURE_SLOTS};
}
Ring inject_ring(Region &r) {
    return Ring{r, CHAN_OFF_INJECT_RING, CHAN_OFF_SLOTS + CHAN_CAPTURE_SLOTS * CHAN_SLOT_SIZE,
                CHAN_INJECT_SLOTS};
}

void capture(Region &r, const std::vector<uint8_t> &data, uint32_t flags, uint64_t cycle) {
    Ring ring = capture_ring(r);
    if (ring.wr() - ring.rd() >= ring.nslots || data.size() > CHAN_SLOT_SIZE - CHAN_SLOT_HDR) {
        counters(r)[CHAN_CNT_CAPTURE_OVERFLOW]++;
        return;
    }
    uint8_t *s = ring.slot(ring.wr());
    uint32_t len = data.size();
    memcpy(s, &len, 4);
    memcpy(s + 4, &flags, 4);
    memcpy(s + 8, &cycle, 8);
    memcpy(s + CHAN_SLOT_HDR, data.data(), len);
    ring.wr()++;
}

void enqueue(Channel &c, Frame &&f) {
    auto it = c.queue.end();
    while (it != c.queue.begin() && std::prev(it)->due > f.due) --it;
    c.queue.insert(it, std::move(f));
}

void wire_frame(int ch, Channel &c, uint64_t cycle, bool deliver) {
    Region &r = region(NICSIM_CHAN_REGION_BASE + ch);
    uint64_t *cnt = counters(r);
    cnt[CHAN_CNT_FRAMES_IN]++;
    if (at<uint64_t>(r, CHAN_OFF_CAPTURE_ON)) capture(r, c.rx_assembly, c.rx_flags, cycle);
    if (!deliver) return;
    uint64_t gen = at<uint64_t>(r, CHAN_OFF_SEED_GEN);
    if (gen != c.seed_gen) {
        c.seed_gen = gen;
        c.rng = at<uint64_t>(r, CHAN_OFF_SEED) * 0x9E3779B97F4A7C15ULL + 1;
    }
    if (chance(c, at<uint32_t>(r, CHAN_OFF_LOSS_PPM))) {
        cnt[CHAN_CNT_LOST]++;
        return;
    }
    int copies = 1;
    if (chance(c, at<uint32_t>(r, CHAN_OFF_DUP_PPM))) {
        copies = 2;
        cnt[CHAN_CNT_DUPLICATED]++;
    }
    for (int i = 0; i < copies; i++) {
        Frame f;
        f.data = c.rx_assembly;
        f.flags = c.rx_flags;
        f.due = cycle + at<uint32_t>(r, CHAN_OFF_DELAY_CYCLES);
        if (chance(c, at<uint32_t>(r, CHAN_OFF_REORDER_PPM))) {
            f.due += at<uint32_t>(r, CHAN_OFF_REORDER_CYCLES);
            cnt[CHAN_CNT_REORDERED]++;
        }
        if (!f.data.empty() && chance(c, at<uint32_t>(r, CHAN_OFF_CORRUPT_PPM))) {
            f.data[next_random(c) % f.data.size()] ^= uint8_t(1u << (next_random(c) % 8));
            cnt[CHAN_CNT_CORRUPTED]++;
        }
        if (c.queue.size() >= CHAN_MAX_QUEUE) {
            c.queue.pop_front();
            cnt[CHAN_CNT_QUEUE_OVERFLOW]++;
        }
        enqueue(c, std::move(f));
    }
}

bool next_tx_frame(int ch, Channel &c, uint64_t cycle) {
    Region &r = region(NICSIM_CHAN_REGION_BASE + ch);
    // a line rate below the stream's: the next frame starts when the last one, with its FCS,
    // preamble and gap, has left the wire (fractions of a cycle carry over to the next frame)
    uint32_t mbps = at<uint32_t>(r, CHAN_OFF_LINE_MBPS);
    uint64_t now_mc = cycle * 1000;
    if (mbps && now_mc < c.next_start_mc) return false;
    Ring inj = inject_ring(r);
    if (inj.wr() != inj.rd()) {  // frames injected by Python go first, unimpaired
        uint8_t *s = inj.slot(inj.rd());
        uint32_t len, flags;
        memcpy(&len, s, 4);
        memcpy(&flags, s + 4, 4);
        c.tx_frame.data.assign(s + CHAN_SLOT_HDR, s + CHAN_SLOT_HDR + len);
        c.tx_frame.flags = flags;
        inj.rd()++;
    } else if (!c.queue.empty() && c.queue.front().due <= cycle) {
        c.tx_frame = std::move(c.queue.front());
        c.queue.pop_front();
    } else {
        return false;
    }
    if (mbps) {
        // cycles of 4 ns per frame = bits / (Mbit/s * 0.004) = bits * 250 / Mbit/s
        uint64_t bits = (std::max<uint64_t>(c.tx_frame.data.size(), 60) + CHAN_FRAME_OVERHEAD) * 8;
        // on schedule if this frame waited for its slot (it starts in the first whole cycle
        // at or after it: keep the fraction, or the rounding adds up to a cycle per frame);
        // from now if the wire was idle or the stream itself was slower than the line
        uint64_t base = now_mc < c.next_start_mc + 1000 ? c.next_start_mc : now_mc;
        c.next_start_mc = base + bits * 250000 / mbps;
    }
    counters(r)[CHAN_CNT_FRAMES_OUT]++;
    c.tx_pos = 0;
    c.tx_active = true;
    return true;
}

}  // namespace

extern "C" {

// Host memory: one beat of nbytes at addr (aligned to nbytes by the caller). Returns 0 on
// success, 1 if the access falls outside the region (the AXI slave answers SLVERR).
int nicsim_mem_read(int id, long long addr, int nbytes, svBitVecVal *data) {
    Region &r = region(NICSIM_MEM_REGION_BASE + id);
    if (addr < 0 || uint64_t(addr) + nbytes > r.size) {
        memset(data, 0, nbytes);
        return 1;
    }
    memcpy(data, r.base + addr, nbytes);
    return 0;
}

int nicsim_mem_write(int id, long long addr, int nbytes, const svBitVecVal *data,
                     const svBitVecVal *strb) {
    Region &r = region(NICSIM_MEM_REGION_BASE + id);
    if (addr < 0 || uint64_t(addr) + nbytes > r.size) return 1;
    const uint8_t *src = reinterpret_cast<const uint8_t *>(data);
    const uint8_t *en = reinterpret_cast<const uint8_t *>(strb);
    uint8_t *dst = r.base + addr;
    for (int i = 0; i < nbytes; i += 8) {
        uint8_t mask = en[i / 8];
        if (mask == 0xff) {
            memcpy(dst + i, src + i, 8);
        } else {
            for (int b = 0; b < 8 && i + b < nbytes; b++)
                if (mask & (1u << b)) dst[i + b] = src[i + b];
        }
    }
    return 0;
}

// DMA access log (for tests that check which physical pages the NIC touched).
void nicsim_mem_log(int id, long long cycle, long long addr, int bytes, int kind) {
    Region &r = region(NICSIM_LOG_REGION_BASE + id);
    if (!at<uint64_t>(r, LOG_OFF_ON)) return;
    uint64_t n = at<uint64_t>(r, LOG_OFF_COUNT)++;
    uint8_t *e = r.base + LOG_OFF_ENTRIES + (n % LOG_ENTRIES) * LOG_ENTRY_SIZE;
    uint64_t c = cycle, a = addr;
    uint32_t b = bytes, k = kind;
    memcpy(e, &c, 8);
    memcpy(e + 8, &a, 8);
    memcpy(e + 16, &b, 4);
    memcpy(e + 20, &k, 4);
}

// Wire sink: one accepted beat. On the last beat the frame is captured and, if deliver is set,
// put on the channel for the source at the far end.
void nicsim_wire_sink(int ch, long long cycle, int nbytes, const svBitVecVal *data,
                      const svBitVecVal *keep, int last, int user, int deliver) {
    Channel &c = channels[ch];
    const uint8_t *d = reinterpret_cast<const uint8_t *>(data);
    const uint8_t *k = reinterpret_cast<const uint8_t *>(keep);
    for (int i = 0; i < nbytes; i++)
        if (k[i / 8] & (1u << (i % 8))) c.rx_assembly.push_back(d[i]);
    if (user) c.rx_flags |= 1;
    if (last) {
        // the MAC pads short frames to the 60-byte minimum (64 with the FCS it would add)
        if (c.rx_assembly.size() < 60) c.rx_assembly.resize(60, 0);
        wire_frame(ch, c, cycle, deliver != 0);
        c.rx_assembly.clear();
        c.rx_flags = 0;
    }
}

// Reset of a channel (the testbench reset): frames in flight and half-assembled frames go.
void nicsim_wire_reset(int ch) {
    Channel &c = channels[ch];
    c.queue.clear();
    c.rx_assembly.clear();
    c.rx_flags = 0;
    c.tx_active = false;
    c.next_start_mc = 0;
    c.seed_gen = ~0ULL;
}

// Wire source: fill one beat if a frame is due. Returns 1 with data/keep/last/user set, or 0.
int nicsim_wire_source(int ch, long long cycle, int nbytes, svBitVecVal *data, svBitVecVal *keep,
                       svBit *last, svBit *user) {
    Channel &c = channels[ch];
    if (!c.tx_active && !next_tx_frame(ch, c, cycle)) return 0;
    uint8_t *d = reinterpret_cast<uint8_t *>(data);
    uint8_t *k = reinterpret_cast<uint8_t *>(keep);
    memset(d, 0, nbytes);
    memset(k, 0, (nbytes + 7) / 8);
    size_t n = std::min<size_t>(nbytes, c.tx_frame.data.size() - c.tx_pos);
    memcpy(d, c.tx_frame.data.data() + c.tx_pos, n);
    for (size_t i = 0; i < n; i++) k[i / 8] |= uint8_t(1u << (i % 8));
    c.tx_pos += n;
    *last = c.tx_pos >= c.tx_frame.data.size();
    *user = *last && (c.tx_frame.flags & 1);
    if (*last) c.tx_active = false;
    return 1;
}

}  // extern "C"

// nic_buf_table: the buffer table - DMA address translation with per-owner protection.
//
// Maps 4 KiB IOVA pages to host physical pages: IOVA page n is entry n. Each entry holds a
// physical page number, an owner tag and a valid bit. PORTS independent translate ports, each
// with its own copy of the table RAM (all copies written together by the single write port),
// so the engines never contend. A translate port accepts one request per cycle and answers in
// order one cycle later (registered RAM read; the check is combinational after it); a stalled
// response holds the port.
//
// A request faults (resp_fault=1, resp_addr meaningless) when
//   - the IOVA page number is >= 2^BUFTBL_LOG2 (any bit of iova[63:BUFTBL_LOG2+12] set),
//   - the request crosses its 4 KiB page (iova[11:0] + len > 4096),
//   - the entry is invalid, or its owner differs from req_owner.
// Each response also gives the DMA-fence epoch that was current at the lookup (nic_dma_fence):
// the requester carries it until it is done with the address.
// Port p's fields are at [p*W +: W] of the flattened buses.
`timescale 1ns / 1ps
`default_nettype none

module nic_buf_table #(
    parameter integer PORTS = 3,         // translate ports (one RAM copy each)
    parameter integer BUFTBL_LOG2 = 12,  // log2 of the number of entries
    parameter integer ADDR_WIDTH = 48    // host physical address width
) (
    input  wire                          clk,
    input  wire                          rst,

    // table write (from the register block); entry index = IOVA page number
    input  wire                          bt_wr_valid,
    input  wire [BUFTBL_LOG2-1:0]        bt_wr_index,
    input  wire [31:0]                   bt_wr_page,
    input  wire [15:0]                   bt_wr_owner,
    input  wire                          bt_wr_entry_valid,

    input  wire                          epoch,    // DMA-fence epoch, sampled with each lookup

    // translate ports
    input  wire [PORTS-1:0]              xlat_req_valid,
    output wire [PORTS-1:0]              xlat_req_ready,
    input  wire [PORTS*64-1:0]           xlat_req_iova,
    input  wire [PORTS*16-1:0]           xlat_req_owner,
    input  wire [PORTS*16-1:0]           xlat_req_len,
    output wire [PORTS-1:0]              xlat_resp_valid,
    input  wire [PORTS-1:0]              xlat_resp_ready,
    output wire [PORTS*ADDR_WIDTH-1:0]   xlat_resp_addr,
    output wire [PORTS-1:0]              xlat_resp_fault,
    output wire [PORTS-1:0]              xlat_resp_epoch
);

localparam integer ENTRIES = 1 << BUFTBL_LOG2;
localparam integer PAGE_W = ADDR_WIDTH - 12;              // physical page number bits
localparam integer STORE_W = (PAGE_W < 32) ? PAGE_W : 32; // bits kept from BT_PAGE
localparam integer ENT_W = STORE_W + 16 + 1;              // {valid, owner, page}

initial begin
    if (PORTS < 1 || BUFTBL_LOG2 < 1 || BUFTBL_LOG2 > 20 || ADDR_WIDTH < 32 || ADDR_WIDTH > 64) begin
        $error("nic_buf_table: need PORTS >= 1, BUFTBL_LOG2 in 1..20, ADDR_WIDTH in 32..64");
        $finish;
    end
end

wire [ENT_W-1:0] wr_entry = {bt_wr_entry_valid, bt_wr_owner, bt_wr_page[STORE_W-1:0]};
// page bits beyond ADDR_WIDTH are not stored (a narrow host address space)
wire unused_page = &{1'b0, bt_wr_page};

genvar p;
generate
for (p = 0; p < PORTS; p = p + 1) begin : port
    reg [ENT_W-1:0] ram [0:ENTRIES-1];
    // every entry starts invalid (FPGA RAM initialisation; the reset does not walk the table),
    // so nothing can be translated before the driver has written an entry
    integer j;
    initial begin
        for (j = 0; j < ENTRIES; j = j + 1) begin
            ram[j] = {ENT_W{1'b0}};
        end
    end

    wire [63:0] iova = xlat_req_iova[p*64 +: 64];
    wire [15:0] owner = xlat_req_owner[p*16 +: 16];
    wire [15:0] len = xlat_req_len[p*16 +: 16];
    // {1'b0, offset} + len > 4096, computed in 17 bits
    wire [16:0] end_off = {5'd0, iova[11:0]} + {1'b0, len};
    wire range_bad = (|iova[63:BUFTBL_LOG2+12]) || (end_off > 17'd4096);

    // request registered, entry read from RAM; the response is checked from these
    reg             s1_valid_reg, s1_valid_next;
    reg             s1_bad_reg;
    reg [15:0]      s1_owner_reg;
    reg [11:0]      s1_off_reg;
    reg [ENT_W-1:0] s1_ent_reg;
    reg             s1_epoch_reg;

    wire adv = !s1_valid_reg || xlat_resp_ready[p];

    wire [STORE_W-1:0] ent_page = s1_ent_reg[STORE_W-1:0];
    wire [15:0] ent_owner = s1_ent_reg[STORE_W +: 16];
    wire ent_valid = s1_ent_reg[ENT_W-1];

    assign xlat_req_ready[p] = adv;
    assign xlat_resp_valid[p] = s1_valid_reg;
    assign xlat_resp_epoch[p] = s1_epoch_reg;
    assign xlat_resp_fault[p] = s1_bad_reg || !ent_valid || (ent_owner != s1_owner_reg);
    assign xlat_resp_addr[p*ADDR_WIDTH +: ADDR_WIDTH] =
        {{(PAGE_W-STORE_W){1'b0}}, ent_page, s1_off_reg};

    always @* begin
        s1_valid_next = adv ? xlat_req_valid[p] : s1_valid_reg;
    end

    always @(posedge clk) begin
        if (bt_wr_valid) begin
            ram[bt_wr_index] <= wr_entry;
        end
        if (adv) begin
            s1_ent_reg <= ram[iova[BUFTBL_LOG2+11:12]];
            s1_bad_reg <= range_bad;
            s1_owner_reg <= owner;
            s1_off_reg <= iova[11:0];
            s1_epoch_reg <= epoch;
        end
        if (rst) begin
            s1_valid_reg <= 1'b0;
        end else begin
            s1_valid_reg <= s1_valid_next;
        end
    end

`ifdef FORMAL
    // Specification of the check, proved by tb/formal/nic_isolation.sby. f_idx is any entry
    // (the solver's choice, fixed): the table holds exactly what the driver last wrote to it,
    // and the response to a lookup of it follows from those contents and the request alone:
    // refused unless the IOVA lies in the table, the access within its 4 KiB page, and the
    // entry is valid and owned by the requester; if granted, the address is the entry's page
    // at the request's offset.
    (* anyconst *) reg [BUFTBL_LOG2-1:0] f_idx;
    reg [ENT_W-1:0]   f_written = {ENT_W{1'b0}};   // the table starts all invalid
    reg               f_pending = 1'b0;           // the lookup stage holds a lookup of f_idx
    reg               f_ok;
    reg [STORE_W-1:0] f_page;
    reg [11:0]        f_off;
    wire f_in_table = iova[63:BUFTBL_LOG2+12] == 0;
    wire f_in_page = {5'd0, iova[11:0]} + {1'b0, len} <= 17'd4096;
    always @(posedge clk) begin
        if (bt_wr_valid && bt_wr_index == f_idx) begin
            f_written <= wr_entry;
        end
        if (rst) begin
            f_pending <= 1'b0;
        end else if (adv) begin
            f_pending <= xlat_req_valid[p] && iova[BUFTBL_LOG2+11:12] == f_idx;
        end
        if (adv) begin
            // the entry as it was before any write in this cycle (the RAM reads it so too)
            f_ok <= f_in_table && f_in_page && f_written[ENT_W-1] &&
                    f_written[STORE_W +: 16] == owner;
            f_page <= f_written[STORE_W-1:0];
            f_off <= iova[11:0];
        end
    end
    always @(*) begin
        assert (ram[f_idx] == f_written);
        if (f_pending) begin
            assert (s1_valid_reg);
            assert (xlat_resp_fault[p] == !f_ok);
            if (f_ok) begin
                assert (xlat_resp_addr[p*ADDR_WIDTH +: ADDR_WIDTH] ==
                        {{(PAGE_W-STORE_W){1'b0}}, f_page, f_off});
            end
        end
    end
`endif
end
endgenerate

endmodule

`default_nettype wire

// nic_isolation_formal: formal harness for the NIC's DMA isolation (tb/formal/nic_isolation.sby).
//
// nic_buf_table (two translate ports) and nic_dma_fence, driven by a solver-chosen environment:
// any table writes, any requests on either port, any response stalls, any fence requests, and an
// abstract DMA engine that holds every translation it is given until it retires it, at any
// later time, with the epoch the translation carried (as the NIC's engines report on xlat_ret).
// One translation is watched (chosen by the solver: any request of either port may be it).
//
// Proved, for every such environment:
//   A1 ownership (nic_buf_table's own `ifdef FORMAL` properties, on both ports): a translation
//      that is not refused names exactly the page of an entry that was valid and owned by the
//      requester's owner when it was looked up, for an IOVA inside the table whose access does
//      not cross its 4 KiB page; one that breaks any rule is refused; and the table holds
//      exactly what was last written to each entry.
//   A2 fence: once the entry a live translation was looked up in has been rewritten (removed,
//      or given another page or owner), and a fence has been requested after that, the fence
//      never reads done while that translation is still held by the engine: a driver that waits
//      for the fence before handing the page on can never see DMA through the old entry.
//   A3 accounting: the fence's counts equal the translations in flight (the lookup stage plus
//      what the engine holds), never in error; this is also what makes k-induction go through.
// Assumed of the environment, as the NIC guarantees it: an engine retires only what it holds,
// and fewer than 2^CNT_W - 2 translations are in flight (the NIC holds a few hundred at most,
// CNT_W there is 12). That each real engine retires each translation exactly once is checked in
// simulation (nic_dma_fence's error bit and in-flight count on an idle NIC).
`timescale 1ns / 1ps
`default_nettype none

module nic_isolation_formal #(
    parameter integer BUFTBL_LOG2 = 2,
    parameter integer ADDR_WIDTH = 32,
    parameter integer CNT_W = 4
) (
    input  wire clk
);

localparam integer PORTS = 2;
localparam [CNT_W-1:0] MAX_INFLIGHT = {CNT_W{1'b1}} - 2'd2;

// ------------------------------------------------------------------------ environment (free)
(* anyseq *) wire                   rst_in;
(* anyseq *) wire                   bt_wr_valid;
(* anyseq *) wire [BUFTBL_LOG2-1:0] bt_wr_index;
(* anyseq *) wire [31:0]            bt_wr_page;
(* anyseq *) wire [15:0]            bt_wr_owner;
(* anyseq *) wire                   bt_wr_entry_valid;
(* anyseq *) wire [PORTS-1:0]       req_valid;
(* anyseq *) wire [PORTS*64-1:0]    req_iova;
(* anyseq *) wire [PORTS*16-1:0]    req_owner;
(* anyseq *) wire [PORTS*16-1:0]    req_len;
(* anyseq *) wire [PORTS-1:0]       resp_ready;
(* anyseq *) wire                   fence_req;
(* anyseq *) wire [CNT_W-1:0]       ret_any0, ret_any1;   // engine retirements, per epoch
(* anyseq *) wire                   ret_watched_any;      // the watched one is among them
(* anyseq *) wire [PORTS-1:0]       watch_any;            // watch this port's request

reg init_done = 1'b0;
always @(posedge clk) init_done <= 1'b1;
wire rst = !init_done || rst_in;

// ------------------------------------------------------------------------ design under proof
wire [PORTS-1:0]            req_ready, resp_valid, resp_fault, resp_epoch;
wire [PORTS*ADDR_WIDTH-1:0] resp_addr;
wire                        epoch, busy, err;

nic_buf_table #(.PORTS(PORTS), .BUFTBL_LOG2(BUFTBL_LOG2), .ADDR_WIDTH(ADDR_WIDTH)) bt (
    .clk(clk), .rst(rst),
    .bt_wr_valid(bt_wr_valid), .bt_wr_index(bt_wr_index), .bt_wr_page(bt_wr_page),
    .bt_wr_owner(bt_wr_owner), .bt_wr_entry_valid(bt_wr_entry_valid),
    .epoch(epoch),
    .xlat_req_valid(req_valid), .xlat_req_ready(req_ready), .xlat_req_iova(req_iova),
    .xlat_req_owner(req_owner), .xlat_req_len(req_len),
    .xlat_resp_valid(resp_valid), .xlat_resp_ready(resp_ready), .xlat_resp_addr(resp_addr),
    .xlat_resp_fault(resp_fault), .xlat_resp_epoch(resp_epoch)
);

// the abstract engine: translations held per epoch
reg  [CNT_W-1:0] held0, held1;
wire [PORTS-1:0] take = resp_valid & resp_ready;
wire [CNT_W-1:0] ret0 = rst ? {CNT_W{1'b0}} : ret_any0;
wire [CNT_W-1:0] ret1 = rst ? {CNT_W{1'b0}} : ret_any1;

// the fence's counts are wider than the engine's: an overflow would show as a mismatch
wire [CNT_W+1:0] inflight, waiting;
wire             queued;
nic_dma_fence #(.PORTS(PORTS), .RET_PORTS(1), .RET_W(CNT_W), .CNT_W(CNT_W + 2)) fence (
    .clk(clk), .rst(rst),
    .fence_req(fence_req && !rst), .epoch(epoch), .busy(busy),
    .acc(req_valid & req_ready), .ret({ret1, ret0}),
    .inflight(inflight), .waiting(waiting), .queued(queued), .err(err)
);

// ------------------------------------------------------------------------ the watched translation
// stage: 0 none, 1 in the lookup stage of port w_port, 2 held by the engine, 3 retired (done)
reg [1:0]             w_stage;
reg                   w_port;
reg                   w_epoch;
reg [BUFTBL_LOG2-1:0] w_idx;
reg                   w_rewritten;   // its entry was written at or after its lookup
reg                   w_fenced;      // and a fence was requested after that
wire [PORTS-1:0] accept = req_valid & req_ready;
wire w_start = w_stage == 2'd0 && (|(watch_any & accept));
wire w_start_port = watch_any[1] && accept[1] && !(watch_any[0] && accept[0]);
wire w_live = w_stage == 2'd1 || w_stage == 2'd2;
wire w_taken = w_stage == 2'd1 && take[w_port];
wire w_retire = w_stage == 2'd2 && ret_watched_any &&
                (w_epoch ? ret_any1 != 0 : ret_any0 != 0);
wire [63:0] w_start_iova = req_iova[(w_start_port ? 64 : 0) +: 64];
wire w_hit_write = bt_wr_valid && bt_wr_index == (w_start ? w_start_iova[BUFTBL_LOG2+11:12] : w_idx);

always @(posedge clk) begin
    if (rst) begin
        w_stage <= 2'd0;
        w_rewritten <= 1'b0;
        w_fenced <= 1'b0;
    end else begin
        if (w_start) begin
            w_stage <= 2'd1;
            w_port <= w_start_port;
            w_epoch <= epoch;
            w_idx <= w_start_iova[BUFTBL_LOG2+11:12];
        end else if (w_taken) begin
            w_stage <= 2'd2;
        end else if (w_retire) begin
            w_stage <= 2'd3;
        end
        // both flags belong to the watched translation (a new one starts them afresh)
        if (w_start) begin
            w_rewritten <= w_hit_write;
            w_fenced <= 1'b0;
        end else begin
            if (w_live && w_hit_write) begin
                w_rewritten <= 1'b1;
            end
            if (w_live && w_rewritten && fence_req) begin
                w_fenced <= 1'b1;
            end
        end
    end
end

// the engine model: it takes responses, and retires only what it holds (the watched one with
// its own epoch, and it must go when everything of that epoch is retired)
always @(*) begin
    if (init_done && !rst) begin
        assume (ret_any0 <= held0 && ret_any1 <= held1);
        if (w_stage == 2'd2 && !ret_watched_any) begin
            assume (w_epoch ? ret_any1 != held1 : ret_any0 != held0);
        end
        assume ({1'b0, held0} + {1'b0, held1} <= {1'b0, MAX_INFLIGHT});
    end
end
always @(posedge clk) begin
    if (rst) begin
        held0 <= {CNT_W{1'b0}};
        held1 <= {CNT_W{1'b0}};
    end else begin
        held0 <= held0 - ret0 + ((take[0] && !resp_epoch[0]) ? 1'b1 : 1'b0)
                              + ((take[1] && !resp_epoch[1]) ? 1'b1 : 1'b0);
        held1 <= held1 - ret1 + ((take[0] && resp_epoch[0]) ? 1'b1 : 1'b0)
                              + ((take[1] && resp_epoch[1]) ? 1'b1 : 1'b0);
    end
end

// ------------------------------------------------------------------------ A2, A3
// the lookup stage of each port (its response register) and its epoch
wire s1_0 = resp_valid[0];
wire s1_1 = resp_valid[1];
wire e1_0 = resp_epoch[0];
wire e1_1 = resp_epoch[1];
wire [CNT_W+1:0] now0 = {2'b00, held0} + (s1_0 && !e1_0) + (s1_1 && !e1_1);
wire [CNT_W+1:0] now1 = {2'b00, held1} + (s1_0 && e1_0) + (s1_1 && e1_1);
always @(*) begin
    if (init_done && !rst) begin
        // A2: the fence cannot read done while the watched translation of a rewritten entry,
        // fenced after the rewrite, is still live
        if (w_fenced && w_live) begin
            assert (busy);
        end
        // A3: the counts are the translations in flight, per epoch
        assert (inflight == (epoch ? now1 : now0));
        assert (waiting == (epoch ? now0 : now1));
        assert (!err);
        // the watched translation is counted where it is
        if (w_stage == 2'd1) begin
            assert ((w_port ? s1_1 : s1_0) && (w_port ? e1_1 : e1_0) == w_epoch);
        end
        if (w_stage == 2'd2) begin
            assert (w_epoch ? held1 != 0 : held0 != 0);
        end
        // a watched translation of an older epoch than the current one is being fenced; one
        // fenced without a flip yet has its fence queued
        if (w_live && w_epoch != epoch) begin
            assert (busy);
        end
        if (w_live && w_fenced && w_epoch == epoch) begin
            assert (queued);
        end
    end
end

endmodule

`default_nettype wire

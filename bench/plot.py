# SPDX-License-Identifier: BSD-3-Clause
# The picture on docs/performance.md: Mpps per core of testpmd io and Sluice, and their ratio,
# for the run each scenario's section reports. Needs matplotlib (Debian python3-matplotlib).
"""PNG of the latest benchmark results, for bench.py's write_docs().

write_plot() imports matplotlib itself, so importing this module never fails; the caller
catches the ImportError of a machine without it and leaves the plot out.
"""


def write_plot(items, path, caption):
    """items: [(scenario, frame bytes, testpmd Mpps/core, Sluice Mpps/core, ratio or None)];
    writes a PNG to path. Raises ImportError without matplotlib."""
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    labels = ["%s\n%d B" % (scen, size) for scen, size, _, _, _ in items]
    x = list(range(len(items)))
    w = 0.38
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 0.9 * len(items) + 2), 7.5),
                                      sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.bar([i - w / 2 for i in x], [it[2] or 0 for it in items], w, label="dpdk-testpmd io",
            color="#9e9e9e")
    top.bar([i + w / 2 for i in x], [it[3] or 0 for it in items], w, label="Sluice",
            color="#1f77b4")
    top.set_ylabel("Mpps per forwarding core")
    top.legend(loc="upper right")
    top.grid(axis="y", alpha=0.3)
    top.set_title(caption, fontsize=9)
    ratios = [it[4] for it in items]
    bottom.bar(x, [r or 0 for r in ratios], 0.6, color="#1f77b4")
    for i, r in enumerate(ratios):
        bottom.annotate("%.2f" % r if r is not None else "refused", (i, r or 0),
                        ha="center", va="bottom", fontsize=8)
    bottom.axhline(1.0, color="#555555", linewidth=0.8, linestyle="--")
    bottom.set_ylabel("Sluice / testpmd")
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(x)
    bottom.set_xticklabels(labels, fontsize=8)
    fig.tight_layout()
    # No "Software" key: the file changes only when the figures do.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)

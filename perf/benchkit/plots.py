"""PNG plots with matplotlib (Debian's python3-matplotlib); imported only when plots are wanted."""

from .report import representative_runs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as pyplot

    return pyplot


def _colors(servers):
    palette = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    return {server: palette[index % len(palette)] for index, server in enumerate(servers)}


def scenario_bars(runs, out_dir):
    """One PNG per scenario at its connection count: CPU µs/request and req/s side by side."""
    written = []
    pyplot = _pyplot()
    chosen = representative_runs(runs)
    for scenario in dict.fromkeys(run["scenario"] for run in chosen):
        connection_counts = sorted({run["connections"] for run in chosen if run["scenario"] == scenario})
        if len(connection_counts) > 1:
            written.append(sweep_lines([run for run in chosen if run["scenario"] == scenario], out_dir, scenario))
            continue
        rows = [run for run in chosen if run["scenario"] == scenario]
        names = [run["server"] for run in rows]
        colors = _colors(names)
        figure, (cpu_axes, rps_axes) = pyplot.subplots(1, 2, figsize=(10, 3.8))
        cpu_axes.bar(names, [run["cpu_us_per_request"] or 0 for run in rows], color=[colors[n] for n in names])
        unit = "round trip" if rows[0].get("ws_message") else "request"
        cpu_axes.set_title(f"server CPU µs per {unit} (lower is better)")
        rps_axes.bar(names, [run["rps"] for run in rows], color=[colors[n] for n in names])
        for index, run in enumerate(rows):
            if run["client_limited"]:
                rps_axes.annotate("client-limited", (index, run["rps"]), ha="center", va="bottom", fontsize=7)
        rps_axes.set_title(f"{unit}s/s (higher is better)")
        for axes in (cpu_axes, rps_axes):
            axes.tick_params(axis="x", labelrotation=20, labelsize=8)
        figure.suptitle(f"{scenario}, {connection_counts[0]} connections, server on 1 pinned core")
        figure.tight_layout()
        path = out_dir / f"{scenario}.png"
        figure.savefig(path, dpi=110)
        pyplot.close(figure)
        written.append(path)
    return written


def sweep_lines(rows, out_dir, scenario):
    pyplot = _pyplot()
    servers = list(dict.fromkeys(run["server"] for run in rows))
    colors = _colors(servers)
    figure, (cpu_axes, rps_axes) = pyplot.subplots(1, 2, figsize=(10, 3.8))
    for server in servers:
        points = sorted((run["connections"], run["cpu_us_per_request"], run["rps"]) for run in rows
                        if run["server"] == server)
        connections = [point[0] for point in points]
        cpu_axes.plot(connections, [point[1] for point in points], marker="o", label=server, color=colors[server])
        rps_axes.plot(connections, [point[2] for point in points], marker="o", label=server, color=colors[server])
    counts = sorted({run["connections"] for run in rows})
    for axes, title in ((cpu_axes, "server CPU µs per request"), (rps_axes, "requests/s")):
        axes.set_xscale("log", base=2)
        axes.set_xticks(counts, [str(count) for count in counts])
        axes.minorticks_off()
        axes.set_xlabel("connections")
        axes.set_title(title)
    rps_axes.legend(fontsize=8)
    figure.suptitle(f"{scenario}: concurrency sweep, server on 1 pinned core")
    figure.tight_layout()
    path = out_dir / f"{scenario}.png"
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def soak_rss(soaks, path, minutes, app="quart"):
    """RSS over time for each soaked server: the leak, or its absence, side by side."""
    pyplot = _pyplot()
    colors = _colors([soak["server"] for soak in soaks])
    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    for soak in soaks:
        samples = soak.get("rss_samples") or []
        axes.plot([sample[0] for sample in samples], [sample[1] / 1024 for sample in samples],
                  label=f"{soak['server']} ({soak.get('requests', 0):,} responses)", color=colors[soak["server"]])
    axes.set_xlabel("seconds under load")
    axes.set_ylabel("RSS of the server tree, MiB")
    axes.set_title(f"Soak: 4 MB responses for {minutes:g} min per server ({app.capitalize()} app), "
                   "RSS sampled every second")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path

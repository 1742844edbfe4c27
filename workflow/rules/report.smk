# Reporting: the summary, tables and figures, the manuscript, and the manifest.


rule summary:
    conda:
        ENV
    threads: rule_threads("summary")
    resources:
        mem_mb=rule_mem_mb("summary"),
        runtime=rule_runtime("summary"),
    input:
        flow=rules.screen.output.flow,
        merge=rules.merge.output.report if HAS_ARCHIVAL else [],
        measurement=rules.measurement.output.assessment,
        structural=rules.hypotheses.output.structural,
        hypotheses=rules.hypotheses.output.hypotheses,
        process=rules.process.output.agreement,
        multiverse=rules.multiverse.output.stability,
        sensitivity=rules.multiverse.output.sensitivity,
        predict=rules.predict.output.summary,
        endogeneity=rules.endogeneity.output.copula,
        groups=rules.groups.output,
        power=rules.power.output.power,
        describe=rules.describe.output.item_table,
        bias=rules.bias.output.vif,
        cfa=rules.cfa.output.fit,
        cbsem=rules.cbsem.output.compare,
        cbsem_status=rules.cbsem.output.status,
        higher_order=rules.higher_order.output if HOC_RUN else [],
        ipma=rules.ipma.output.constructs if IPMA_ON else [],
        nca=rules.nca.output.effects if NCA_ON else [],
        cvpat=rules.cvpat.output.table if CVPAT_ON else [],
        fimix=rules.fimix.output.fit if FIMIX_ON else [],
    output:
        report("results/summary.md", caption="../report/summary.rst", category="Summary"),
    log:
        "logs/summary.log",
    shell:
        "python -m leanlearn summary --results results --config results/config.yaml --out {output} > {log} 2>&1"


rule report:
    conda:
        ENV
    threads: rule_threads("report")
    resources:
        mem_mb=rule_mem_mb("report"),
        runtime=rule_runtime("report"),
    input:
        rules.summary.input,
        rules.hypotheses.output.draws,
    output:
        tables=directory("results/tables"),
        figures=expand("results/figures/{figure}.{ext}", figure=FIGURES, ext=["svg", "pdf"]),
        png=[
            report(
                f"results/figures/{figure}.png",
                caption=f"../report/{figure}.rst",
                category="Figures",
            )
            for figure in FIGURES
        ],
    params:
        measurement=config.get("measurement"),
    log:
        "logs/report.log",
    shell:
        "python -m leanlearn report --results results --config results/config.yaml --out {output.tables} "
        "--figures results/figures > {log} 2>&1"


rule paper:
    conda:
        ENV
    threads: rule_threads("paper")
    resources:
        mem_mb=rule_mem_mb("paper"),
        runtime=rule_runtime("paper"),
    input:
        rules.report.output,
        source=MANUSCRIPT,
    output:
        html=report(
            "results/paper/manuscript.html",
            caption="../report/manuscript.rst",
            category="Manuscript",
        ),
        markdown="results/paper/manuscript.md",
        numbers="results/paper/numbers.json",
        macros="results/paper/numbers.tex",
    log:
        "logs/paper.log",
    shell:
        "python -m leanlearn paper --results results --config results/config.yaml --source {input.source} "
        "--out results/paper --figures results/figures > {log} 2>&1"


rule manifest:
    conda:
        ENV
    threads: rule_threads("manifest")
    resources:
        mem_mb=rule_mem_mb("manifest"),
        runtime=rule_runtime("manifest"),
    input:
        rules.paper.output,
        summary=rules.summary.output,
    output:
        "results/manifest.json",
    params:
        effective=EFFECTIVE_TEXT,  # the manifest records the whole effective config
    log:
        "logs/manifest.log",
    shell:
        "python -m leanlearn manifest --results results --config results/config.yaml --out {output} > {log} 2>&1"

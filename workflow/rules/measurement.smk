# Measurement model: PLS assessment (reliability, validity, HTMT) and the CFA.


rule measurement:
    conda:
        ENV
    threads: rule_threads("measurement")
    resources:
        mem_mb=rule_mem_mb("measurement"),
        runtime=rule_runtime("measurement"),
    input:
        data=ANALYSIS,
        model=config["model"],
        untreated=UNTREATED if MI_ON else [],
    output:
        assessment="results/measurement/measurement_assessment.csv",
        reliability="results/measurement/reliability.csv",
        htmt="results/measurement/htmt.csv",
        htmt2="results/measurement/htmt2.csv",
        htmt_bootstrap="results/measurement/htmt_bootstrap.csv",
        htmt_bounds="results/measurement/htmt_upper_bounds.csv",
        loadings="results/measurement/outer_loadings.csv",
        weights="results/measurement/outer_weights.csv",
        cross_loadings="results/measurement/cross_loadings.csv",
        fornell_larcker="results/measurement/fornell_larcker.csv",
        correlations="results/measurement/construct_correlations.csv",
        vif="results/measurement/vif_items.csv",
        status="results/measurement/bootstrap_status.csv",
    params:
        measurement=config.get("measurement"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        seed=config["seed"],
        missing=config.get("missing"),
        mi=MI_ARGS,
    log:
        "logs/measurement.log",
    shell:
        "python -m leanlearn measurement {input.data} {input.model} --config results/config.yaml --out results/measurement "
        "--seed {params.seed} --workers {threads} {params.mi} > {log} 2>&1"


rule cfa:
    conda:
        ENV
    threads: rule_threads("cfa")
    resources:
        mem_mb=rule_mem_mb("cfa"),
        runtime=rule_runtime("cfa"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        loadings="results/measurement/cfa_loadings.csv",
        fit="results/measurement/cfa_fit.csv",
        correlations="results/measurement/cfa_correlations.csv",
        settings="results/measurement/settings.json",
    params:
        thresholds=ROBUST.get("cfa"),
    log:
        "logs/cfa.log",
    shell:
        "python -m leanlearn cfa {input.data} {input.model} --config results/config.yaml "
        "--out results/measurement > {log} 2>&1"

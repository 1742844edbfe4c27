# Structural model and hypotheses (one bootstrap), and the PROCESS model 7 cross-check.


rule hypotheses:
    conda:
        ENV
    threads: rule_threads("hypotheses")
    resources:
        mem_mb=rule_mem_mb("hypotheses"),
        runtime=rule_runtime("hypotheses"),
    input:
        data=ANALYSIS,
        model=config["model"],
        untreated=UNTREATED if MI_ON else [],
    output:
        structural=directory("results/structural"),
        hypotheses="results/hypotheses/hypotheses.csv",
        draws="results/hypotheses/bootstrap_draws.csv",
        mediation="results/hypotheses/mediation.csv",
        contrasts="results/hypotheses/indirect_contrasts.csv",
        excluded="results/hypotheses/excluded_cases.csv",
        model="results/hypotheses/model.lav",
    params:
        hypotheses=config.get("hypotheses"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        inference=config.get("inference"),
        seed=config["seed"],
        missing=config.get("missing"),
        mi=MI_ARGS,
    log:
        "logs/hypotheses.log",
    shell:
        "python -m leanlearn hypotheses {input.data} {input.model} --config results/config.yaml --out results/hypotheses "
        "--tables {output.structural} --seed {params.seed} --workers {threads} {params.mi} > {log} 2>&1"


rule process:
    conda:
        ENV
    threads: rule_threads("process")
    resources:
        mem_mb=rule_mem_mb("process"),
        runtime=rule_runtime("process"),
    input:
        data=ANALYSIS,
        model=config["model"],
        structural=rules.hypotheses.output.structural,
    output:
        fit="results/hypotheses/process_model7.csv",
        agreement="results/hypotheses/process_agreement.csv",
    params:
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        seed=config["seed"],
    log:
        "logs/process.log",
    shell:
        "python -m leanlearn process {input.data} {input.model} --config results/config.yaml --tables {input.structural} "
        "--out results/hypotheses > {log} 2>&1"

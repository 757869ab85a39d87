#!/usr/bin/env python3
"""summarise.py NAME...: one table row per alternative run by sleep-alternative.sh, from the sleep's tracked run (the
local tracking files of $WORK/data/NAME) and $WORK/out/NAME/times."""
import glob, json, os, sys

work = os.environ.get('WORK', '/tmp/somnus-forgetting')
for name in sys.argv[1:]:
    row = f'| {name} | no sleep run |'
    for rj in glob.glob(f'{work}/data/{name}/tracking/runs/*/run.json'):
        run = json.load(open(rj))
        if run['tags'].get('somnus.kind') != 'sleep':
            continue
        m = {}
        for f in sorted(glob.glob(os.path.dirname(rj) + '/metrics/*.json')):
            for e in json.load(open(f)):
                m.setdefault(e['key'], e['value'])
        g = lambda *keys: next((m[k] for k in keys if k in m), float('nan'))  # promoted: *_after; refused: candidate_*
        times = '; '.join(open(f'{work}/out/{name}/times').read().split('\n')).strip('; ') if os.path.exists(f'{work}/out/{name}/times') else '?'
        row = (f"| {name} | {run['tags'].get('somnus.outcome')} | {g('recall_before'):.3f} → {g('recall_after', 'candidate_recall'):.3f} | "
               f"{g('known_recall_base'):.3f} | {g('known_recall_before'):.3f} | {g('known_recall_after', 'candidate_known_recall'):.3f} | "
               f"{g('known_recall_consolidated', 'candidate_known_recall_consolidated'):.3f} | {g('lora_steps'):.0f} | "
               f"{g('ppl_before'):.3f} → {g('ppl_after', 'candidate_ppl'):.3f} | {times} |")
    print(row)

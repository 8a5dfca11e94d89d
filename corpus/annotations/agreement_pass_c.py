"""Agreement of the third blind pass (attribution and entities only) with the adjudicated gold.

Run from the project root after `make all`: .venv/bin/python corpus/annotations/agreement_pass_c.py
"""
import json
gold=[json.loads(l) for l in open('corpus/annotations/claims.jsonl')]
c=[json.loads(l) for l in open('corpus/annotations/passes/pass_c/attribution.jsonl')]
n=sum(1 for g,x in zip(gold,c) if (g['attributed_to'] or None)==(x['attributed_to'] or None))
held=[(g,x) for g,x in zip(gold,c) if g['attributed_to'] or x['attributed_to']]
nh=sum(1 for g,x in held if g['attributed_to']==x['attributed_to'])
print(f"attribution {n}/{len(gold)} = {n/len(gold):.3f}; where any holder {nh}/{len(held)} = {nh/len(held):.3f}")
ge=[json.loads(l) for l in open('corpus/annotations/entities.jsonl')]
ce=[json.loads(l) for l in open('corpus/annotations/passes/pass_c/entities.jsonl')]
def occ(e): return (e['sent_id'], e['text'], e.get('occurrence',1))
# gold has offsets; recompute occurrence from segment text
segs={json.loads(l)['sent_id']:json.loads(l) for l in open('corpus/annotations/claims.jsonl')}
sent_start={}
for l in open('outputs/sentences.jsonl'):
    r=json.loads(l); sent_start[r['sent_id']]=r['start']
gk={}
for e in ge:
    t=segs[e['sent_id']]['text']; rel=e['start']-sent_start[e['sent_id']]
    k=t[:rel].count(e['text'])+1
    gk[(e['sent_id'],e['text'],k)]=e
ck={occ(e):e for e in ce}
m=gk.keys()&ck.keys(); p=len(m)/len(ck); r=len(m)/len(gk)
print(f"entities pass C vs gold: C {len(ck)}, gold {len(gk)}, matched {len(m)}, F1 {2*p*r/(p+r):.3f}, label agreement {sum(gk[k]['label']==ck[k]['label'] for k in m)/len(m):.3f}, canonical agreement {sum(gk[k]['canonical']==ck[k]['canonical'] for k in m)/len(m):.3f}")

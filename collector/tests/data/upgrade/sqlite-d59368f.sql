-- A database written by the collector of commit d59368f (schema version 4), dumped by
-- make-fixtures.sh (which says what was done to it). Loaded by tests/upgrade.rs.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE counts (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (item, event)
    ) WITHOUT ROWID;
INSERT INTO counts VALUES('flash','view',12);
INSERT INTO counts VALUES('kangaba','read',7);
INSERT INTO counts VALUES('kangaba','view',40);
CREATE TABLE dedupe (
        visitor BLOB NOT NULL,
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (visitor, item, event)
    ) WITHOUT ROWID;
INSERT INTO dedupe VALUES(X'2398a1f1b0f3c9acc2248bca5cde4058','kangaba','view',1796302433250);
INSERT INTO dedupe VALUES(X'f46f9a6d1245012239cc1a8b6cedc89f','kangaba','view',1796302433326);
INSERT INTO dedupe VALUES(X'fd3368ecb4bcfe9dfe14a4ca88bf5637','kangaba','view',1796302433370);
INSERT INTO dedupe VALUES(X'2bb25ddbe665e8cba596b637292ce673','kangaba','view',1796302433434);
INSERT INTO dedupe VALUES(X'befc27d489f599562550df7815649d7d','kangaba','view',1796302433483);
INSERT INTO dedupe VALUES(X'36d71d0af2957bb3fe8c3b57262d5631','kangaba','view',1796302433493);
INSERT INTO dedupe VALUES(X'7ee15bd4663a9d345be2506730abd4b3','kangaba','view',1796302433518);
INSERT INTO dedupe VALUES(X'5465c597b3c3975a1e55ef39442c99cc','kangaba','view',1796302433567);
INSERT INTO dedupe VALUES(X'4f3bcfd451f5ea87651411d29b43195c','kangaba','view',1796302433605);
INSERT INTO dedupe VALUES(X'bf59b8504c1af63e6f143f910a076ff1','kangaba','view',1796302433642);
INSERT INTO dedupe VALUES(X'15214c9a3dd85fd130ce5bcb6538c7ba','kangaba','view',1796302433670);
INSERT INTO dedupe VALUES(X'2b9b2b7a30e482c967306315da7a2acb','kangaba','view',1796302433695);
INSERT INTO dedupe VALUES(X'b637c4fd8ae064ad6b5bafc809a12fb5','kangaba','view',1796302433729);
INSERT INTO dedupe VALUES(X'0b1e0c1941886099535afd649e8ec9a4','kangaba','view',1796302433782);
INSERT INTO dedupe VALUES(X'af2db20a753d13eb7ec6e5728a6086d0','kangaba','view',1796302433838);
INSERT INTO dedupe VALUES(X'6f695086c39aa3a6597fddcb8050c4f1','kangaba','view',1796302433882);
INSERT INTO dedupe VALUES(X'07a3560b26dbb546067fd1b8ad1dbcf5','kangaba','view',1796302433958);
INSERT INTO dedupe VALUES(X'5648b5bd237a3a6f93e7a8e208f40430','kangaba','view',1796302433987);
INSERT INTO dedupe VALUES(X'50668f31563fdb8df0e73112d79d6935','kangaba','view',1796302434018);
INSERT INTO dedupe VALUES(X'2db53fd97e114f905091a9e9ea68509a','kangaba','view',1796302434062);
INSERT INTO dedupe VALUES(X'83620cabe9cc43ec1206a30e4a210dd2','kangaba','view',1796302434114);
INSERT INTO dedupe VALUES(X'77dac6e48aa0e415507d9e2786234d65','kangaba','view',1796302434151);
INSERT INTO dedupe VALUES(X'8e88ab9df5892f4f8b866106cb8c8469','kangaba','view',1796302434234);
INSERT INTO dedupe VALUES(X'56e12222d11a9266cef7ad7c81d34028','kangaba','view',1796302434259);
INSERT INTO dedupe VALUES(X'532bfae162c31c306b0cb22c59735a60','kangaba','view',1796302434282);
INSERT INTO dedupe VALUES(X'd3d865201f8952b38288e74a0b2c7ccc','kangaba','view',1796302434330);
INSERT INTO dedupe VALUES(X'8e269409edd2450c0cce6cbddfab8554','kangaba','view',1796302434371);
INSERT INTO dedupe VALUES(X'8174fe779f27189d550f1cb78cfa4a6d','kangaba','view',1796302434450);
INSERT INTO dedupe VALUES(X'590d89e1de1326d27260c864aca7705e','kangaba','view',1796302434522);
INSERT INTO dedupe VALUES(X'40cb14b4f97297c2395efd61416c9986','kangaba','view',1796302434645);
INSERT INTO dedupe VALUES(X'673487f3cd28d5c333b0c5fd8ea03622','kangaba','view',1796302434702);
INSERT INTO dedupe VALUES(X'84e11a9644f8825e049add35e6ca5a5a','kangaba','view',1796302434770);
INSERT INTO dedupe VALUES(X'05de386983a5866eff2aab6d4e3f9d68','kangaba','view',1796302434850);
INSERT INTO dedupe VALUES(X'819b51e0976ed4ff3beb745e140508d2','kangaba','view',1796302434881);
INSERT INTO dedupe VALUES(X'c006c7c98b1b261fcf2ce257aecff19c','kangaba','view',1796302434904);
INSERT INTO dedupe VALUES(X'67e60028c4e00a5a217824a46e413da7','kangaba','view',1796302434926);
INSERT INTO dedupe VALUES(X'41f0c1201bbca6cb149bdff762d263b2','kangaba','view',1796302434979);
INSERT INTO dedupe VALUES(X'd7ec60d72951f6c540c24e9f7b3a4d40','kangaba','view',1796302434998);
INSERT INTO dedupe VALUES(X'0cb13bf8b70c84bc5e4514e53bea904c','kangaba','view',1796302435025);
INSERT INTO dedupe VALUES(X'ae1204b266e7806c51c2f42cb2fe6653','kangaba','view',1796302435058);
INSERT INTO dedupe VALUES(X'2398a1f1b0f3c9acc2248bca5cde4058','kangaba','read',1796302435085);
INSERT INTO dedupe VALUES(X'f46f9a6d1245012239cc1a8b6cedc89f','kangaba','read',1796302435126);
INSERT INTO dedupe VALUES(X'fd3368ecb4bcfe9dfe14a4ca88bf5637','kangaba','read',1796302435158);
INSERT INTO dedupe VALUES(X'2bb25ddbe665e8cba596b637292ce673','kangaba','read',1796302435203);
INSERT INTO dedupe VALUES(X'befc27d489f599562550df7815649d7d','kangaba','read',1796302435215);
INSERT INTO dedupe VALUES(X'36d71d0af2957bb3fe8c3b57262d5631','kangaba','read',1796302435251);
INSERT INTO dedupe VALUES(X'7ee15bd4663a9d345be2506730abd4b3','kangaba','read',1796302435261);
INSERT INTO dedupe VALUES(X'2398a1f1b0f3c9acc2248bca5cde4058','flash','view',1796302435290);
INSERT INTO dedupe VALUES(X'f46f9a6d1245012239cc1a8b6cedc89f','flash','view',1796302435319);
INSERT INTO dedupe VALUES(X'fd3368ecb4bcfe9dfe14a4ca88bf5637','flash','view',1796302435350);
INSERT INTO dedupe VALUES(X'2bb25ddbe665e8cba596b637292ce673','flash','view',1796302435378);
INSERT INTO dedupe VALUES(X'befc27d489f599562550df7815649d7d','flash','view',1796302435393);
INSERT INTO dedupe VALUES(X'36d71d0af2957bb3fe8c3b57262d5631','flash','view',1796302435435);
INSERT INTO dedupe VALUES(X'7ee15bd4663a9d345be2506730abd4b3','flash','view',1796302435455);
INSERT INTO dedupe VALUES(X'5465c597b3c3975a1e55ef39442c99cc','flash','view',1796302435490);
INSERT INTO dedupe VALUES(X'4f3bcfd451f5ea87651411d29b43195c','flash','view',1796302435518);
INSERT INTO dedupe VALUES(X'bf59b8504c1af63e6f143f910a076ff1','flash','view',1796302435554);
INSERT INTO dedupe VALUES(X'15214c9a3dd85fd130ce5bcb6538c7ba','flash','view',1796302435574);
INSERT INTO dedupe VALUES(X'2b9b2b7a30e482c967306315da7a2acb','flash','view',1796302435595);
CREATE TABLE published (
        id TEXT PRIMARY KEY,
        item TEXT NOT NULL,
        first_published INTEGER NOT NULL,
        seq INTEGER NOT NULL
    );
INSERT INTO published VALUES('flash','{"_depeche":{"urgency":1},"id":"flash","title":"Alerte : l’attaque de Kangaba est terminée"}',1796300633072,1);
INSERT INTO published VALUES('correction','{"id":"correction","title":"Correction : le bilan est de deux blessés"}',1796300633139,2);
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
INSERT INTO meta VALUES('salt-secret',X'88c6332ded54929d03b0f125a02702bc6fddfb4d9b4ae93cdf65ab43eaae3db3');
CREATE TABLE feed_version (version INTEGER NOT NULL);
INSERT INTO feed_version VALUES(4);
CREATE TABLE sources (source TEXT PRIMARY KEY, items TEXT NOT NULL);
INSERT INTO sources VALUES('source.rss','[{"_depeche":{"urgency":1},"date_published":"2026-12-02T07:30:00Z","id":"radio-sahel-mopti-crue","summary":"Les véhicules sont déviés par Sévaré.","title":"Mopti : la crue du Niger coupe la route nationale 16","url":"https://radio-sahel.example/2026/12/02/mopti-crue"},{"date_published":"2026-12-02T06:00:00Z","id":"radio-sahel-segou-festival","summary":"Les organisateurs annoncent une nouvelle date.","title":"Ségou : le festival sur le fleuve reporté","url":"https://radio-sahel.example/2026/12/02/segou-festival"}]');
CREATE TABLE buckets (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        span INTEGER NOT NULL,
        start INTEGER NOT NULL,
        origin TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (item, event, span, start, origin)
    ) WITHOUT ROWID;
INSERT INTO buckets VALUES('flash','view',60000,1796300580000,'http://127.0.0.1:18431',12);
INSERT INTO buckets VALUES('kangaba','read',60000,1796300580000,'http://127.0.0.1:18431',7);
INSERT INTO buckets VALUES('kangaba','view',60000,1796300580000,'http://127.0.0.1:18431',20);
INSERT INTO buckets VALUES('kangaba','view',60000,1796300580000,'https://partenaire.example',20);
CREATE INDEX dedupe_expires ON dedupe (expires);
COMMIT;
PRAGMA user_version = 4;
